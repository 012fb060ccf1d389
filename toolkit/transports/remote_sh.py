"""Shell helpers SSH and adb share: argv quoting, exit-status signals, remote-dir checks, and the device-side
shell script that opens a run directory and cleans up after dead sessions.

Why a shell script and not Python: it runs before we know whether the device has a Python, and one script
keeps the "holder" process (whose life marks the run directory as in use) and the clean-up atomic per
connect. It is POSIX sh (bash, dash, busybox ash, Android's mksh); every path from the user is quoted with
``shlex.quote`` when the script is built, and inside it only quoted variables are used.

What it does on every connect, before creating the new run directory:
- A run directory whose holder (the pid in ``.owner``) is gone is *dead*. "Gone" includes a zombie: a holder
  whose parent died is re-parented to PID 1, and an init that never reaps (containers, some VMs) leaves it a
  zombie that still answers ``kill -0``; its state letter in ``/proc/PID/stat`` is ``Z``.
- Before a dead directory is removed, every process still working in it is killed: a dropped SSH session
  does not signal the remote command, so a hung runner would otherwise run forever. "Still working in it"
  means its cwd (``/proc/PID/cwd``, readable only for our own processes unless we are root) is the dead
  directory or below it; when such a process leads its own process group (sshd and adbd start each command
  in a new session) the whole group is killed, which reaches children that changed directory.
- Groups recorded by ``tracked_command`` in ``pids/`` (apart from the run dirs, so they are found after a run
  dir is gone) whose holder is gone are killed: while the group's leader lives, only if its start time is the
  recorded one (a recycled pid is left alone); when the leader died first (adbd SIGHUPs only the shell it
  started), if a process of that group started no earlier than the recorded time still runs.
- Partial uploads ``blobs/<sha256>.tmp-<run id>-<random>`` whose run directory is gone are removed; partial
  uploads in another name format (older edgetk versions) only once they are older than ten minutes.
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Sequence
from pathlib import PurePosixPath

from toolkit.errors import BadInputError

# Functions only, all inputs via "$1"/variables (no formatting into this text).
_FUNCS = r"""
rp=') '
state() { s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; set -- ${s##*"$rp"}; echo "$1 $3"; }
alive() { kill -0 "$1" 2>/dev/null || return 1; st=$(state "$1") || return 0; [ "${st%% *}" != Z ]; }
reap() {
  d=$1
  for c in /proc/[0-9]*/cwd; do
    l=$(readlink "$c" 2>/dev/null) || continue
    case $l in "$d"|"$d"/*) ;; *) continue ;; esac
    p=${c#/proc/}; p=${p%/cwd}
    [ "$p" = "$$" ] && continue
    st=$(state "$p") || continue
    [ "${st#* }" = "$p" ] && kill -9 "-$p" 2>/dev/null  # no "--": dash rejects it
    kill -9 "$p" 2>/dev/null
  done
}
kill_recorded() {
  g=$1 t=$2
  if st=$(cat "/proc/$g/stat" 2>/dev/null); then
    set -- ${st##*"$rp"}
    [ "${20}" = "$t" ] && kill -9 "-$g" 2>/dev/null
    return 0
  fi
  for s in /proc/[0-9]*/stat; do
    read -r st 2>/dev/null < "$s" || continue
    set -- ${st##*"$rp"}
    [ "$3" = "$g" ] || continue
    [ "${20}" -ge "$t" ] 2>/dev/null && kill -9 "-$g" 2>/dev/null
    return 0
  done
}
reap_pids() {
  cd "$1" 2>/dev/null || return 0
  for f in *; do
    case $f in ''|*[!0-9]*) continue ;; esac
    read -r o t 2>/dev/null < "$f" || { rm -f -- "$f"; continue; }
    case $o in ''|*[!0-9]*) ;; *) alive "$o" && continue ;; esac
    kill_recorded "$f" "$t"
    rm -f -- "$f"
  done
}
kill_holder_groups() {
  cd "$1" 2>/dev/null || return 0
  for f in *; do
    case $f in ''|*[!0-9]*) continue ;; esac
    read -r o t 2>/dev/null < "$f" || continue
    [ "$o" = "$2" ] || continue
    kill_recorded "$f" "$t"
    rm -f -- "$f"
  done
}
sweep_tmp() {
  cd "$1" 2>/dev/null || return 0
  for f in *.tmp-*; do
    [ -f "$f" ] || continue
    r=${f##*.tmp-}; r=${r%-*}
    case $r in
      *-*) [ -d "$here/$r" ] && continue ;;
      *) [ -n "$(find "$f" -mmin +10 2>/dev/null)" ] || continue ;;
    esac
    rm -f -- "$f"
  done
}
"""
# The holder's clean-up of dead run directories (uses _FUNCS; runs in the runs directory).
_DEAD_RUNS = r"""
here=$(pwd -P)
for o in */.owner; do
  [ -f "$o" ] || continue
  p=$(cat "$o" 2>/dev/null)
  case $p in ''|*[!0-9]*) ;; *) alive "$p" && continue ;; esac
  reap "$here/${o%/.owner}"
  rm -rf -- "${o%/.owner}"
done
"""


def holder_script(runs: str, run_dir: str, blobs: str, *, mkdirs: bool = False) -> str:
    """The script a holder session runs: clean dead runs and stale partial uploads, create ``run_dir`` with an
    ``.owner`` file naming this shell, print ``ready`` and then block (``exec cat``) as long as the session
    lives. ``mkdirs`` also creates ``blobs`` and ``runs`` (adb has no SFTP to do it)."""
    q_runs, q_run, q_blobs = shlex.quote(runs), shlex.quote(run_dir), shlex.quote(blobs)
    pre = f"mkdir -p {q_blobs} {q_runs} && " if mkdirs else ""
    owner_tmp, owner = shlex.quote(run_dir + "/.owner.tmp"), shlex.quote(run_dir + "/.owner")
    return (
        f"{pre}cd {q_runs} || exit 1\n{_FUNCS}{_DEAD_RUNS}"
        f"mkdir -m 700 {q_run} && echo $$ > {owner_tmp} && mv -f {owner_tmp} {owner} || exit 1\n"
        f"(sweep_tmp {q_blobs})\n"
        f"(reap_pids ../pids)\n"
        "echo ready && exec cat >/dev/null\n"
    )


def kill_holder_groups_script(pids_dir: str, run_dir: str) -> str:
    """A script that kills every process group started by ``tracked_command`` for the session holding
    ``run_dir`` (their records in ``pids_dir`` name its holder) and removes their records: how a transport
    that cannot read the group id while the command runs (adb) stops it at a timeout or on Ctrl-C."""
    return (f"{_FUNCS}o=$(cat {shlex.quote(run_dir + '/.owner')} 2>/dev/null) && "
            f"kill_holder_groups {shlex.quote(pids_dir)} \"$o\"\n")


def run_id(run_dir: str) -> str:
    """The last path element of a run directory: ``<unix time>-<8 hex>``, also stamped on partial uploads."""
    return run_dir.rstrip("/").rsplit("/", 1)[-1]


def signal_from_status(status: int) -> str | None:
    """The remote shell reports a child killed by signal N as exit status 128+N."""
    if 128 < status < 128 + 65:
        try:
            return signal.Signals(status - 128).name
        except ValueError:
            return None
    return None


def quote_argv(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(str(a)) for a in argv)


def check_remote_dir(remote_dir: str, label: str) -> str:
    """Refuse a device directory with control characters (newline, tab, ...). Quoting would keep it safe, but
    ``sha256sum`` escapes such names in its output, ``$(pwd)`` drops trailing newlines, and every error message
    naming the directory would stop being one line; spaces, quotes, ``;``, ``$()`` and backticks are fine."""
    if not remote_dir.strip() or any(not ch.isprintable() for ch in remote_dir):
        raise BadInputError(f"remote_dir {remote_dir!r} of {label}: must be a non-empty path without control "
                            f"characters (newline, tab, ...)")
    if ".." in PurePosixPath(remote_dir).parts:
        raise BadInputError(f"remote_dir {remote_dir!r} of {label}: '..' is not allowed (name the directory "
                            f"directly, e.g. ~/.cache/edgetk)")
    if remote_dir.startswith("~") and remote_dir != "~" and not remote_dir.startswith("~/"):
        raise BadInputError(f"remote_dir {remote_dir!r} of {label}: only ~ and ~/... (the login user's home) are "
                            f"expanded; write the path out")
    return remote_dir


PGID_MARKER = b"edgetk-remote-pgid="


def tracked_command(command: str, pids_dir: str) -> str:
    """``command`` run so that its session can be killed as a process group: the shell (the session leader,
    so its pid is the group id) prints its pid on stderr first, and records ``<holder pid> <start time>`` in
    ``pids_dir/<pgid>``, a directory apart from the run dir, so a later connect can kill a group whose edgetk
    died, even after the run dir is gone. The start time guards against a recycled pid."""
    q = shlex.quote(pids_dir)
    return (
        f"mkdir -p {q} 2>/dev/null; st=$(cat /proc/$$/stat 2>/dev/null); set -- ${{st##*') '}}; "
        f"echo \"$(cat .owner 2>/dev/null) ${{20:-0}}\" > {q}/$$ 2>/dev/null; "
        f"echo {PGID_MARKER.decode()}$$ >&2; {command}; s=$?; rm -f {q}/$$; exit $s"
    )


def remote_pgid(stderr: bytes) -> int | None:
    first = stderr.split(b"\n", 1)[0]
    if first.startswith(PGID_MARKER) and first[len(PGID_MARKER):].isdigit():
        return int(first[len(PGID_MARKER):])
    return None


def strip_pgid_marker(stderr: bytes) -> bytes:
    return stderr.split(b"\n", 1)[1] if stderr.startswith(PGID_MARKER) and b"\n" in stderr else stderr


def remote_base(remote_dir: str, home: str) -> str:
    """The device directory ``remote_dir`` names: ``~`` and ``~/x`` and relative paths are under the login
    home; an absolute path is used as given (``check_remote_dir`` already refused ``..`` and ``~user``)."""
    if remote_dir == "~":
        return home
    rd = remote_dir.removeprefix("~/")
    return rd if rd.startswith("/") else str(PurePosixPath(home) / rd)
