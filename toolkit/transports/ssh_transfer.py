"""SFTP transfers (uploads, fetches) that Ctrl-C, SIGTERM or a fleet cancel stops within a fraction of a second
(issue 17).

Why not paramiko's ``putfo`` in the calling thread, as before: Ctrl-C during a deploy over a slow link took
8 s, and sometimes over a minute, to exit. Two causes, both measured (a 4 MB model over a 256 kB/s link):

- ``putfo``'s own clean-up closes the remote file, and closing waits for the server's answer to every write
  already queued: with a pipelined upload that is everything paramiko had handed to the socket (the SSH
  window, ~2 MB), which must first cross the slow link. The stack of the stuck CLI ended in
  ``SFTPFile._close`` → ``_read_response``.
- The CLI's signal handler raises in the main thread wherever it happens to be, inside paramiko included,
  so a stream could be left mid-packet.

So the transfer runs in a worker thread and the caller only waits, in short slices, watching
``children.CANCEL`` (set by the CLI's handler, seen by fleet threads too). On a cancel or any exception
in the wait (the CLI's ``Stopped``), the caller calls ``abort``: the transport drops the TCP connection
with a reset, so nothing queued is sent and the worker's paramiko calls fail at once; the worker is given a
moment to unwind and the exception goes on. What the aborted session left on the device (the partial
upload, the run directory) is removed through a new connection (``SshTransport.close``) or by the next
connect. A fetch is the same story in the other direction (paramiko's prefetch queue).
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from toolkit import children

#: how often the waiting thread looks at CANCEL and updates the progress bar
POLL_S = 0.1
#: how long an aborted worker may take to unwind (its socket is gone: milliseconds in practice)
UNWIND_S = 2.0


def transfer(copy: Callable[[Callable[[int, int], None]], None], *, what: str, abort: Callable[[], None],
             progress: Callable[[int], None] | None = None) -> None:
    """Run ``copy(callback)`` (a paramiko ``putfo`` / ``get`` given its progress ``callback``) in a worker
    thread; see the module docstring.

    Raises what the transfer raised (paramiko / OSError: the transport turns them into one line), or
    ``children.Cancelled`` when ``CANCEL`` was set, or whatever interrupted the wait (``Stopped``), after
    ``abort()``. ``progress(bytes_done)`` is called from the waiting thread."""
    done = [0]
    failed: list[BaseException] = []

    def work() -> None:
        try:
            copy(lambda n, _total: done.__setitem__(0, n))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, which raises it
            failed.append(exc)

    worker = threading.Thread(target=work, name=f"edgetk-sftp {what}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_S)
            if progress is not None:
                progress(done[0])
            if children.CANCEL.is_set():
                raise children.Cancelled(what)
    except BaseException:
        abort()
        worker.join(UNWIND_S)
        raise
    if failed:
        raise failed[0]


def reset_and_close(clients: Sequence[Any]) -> None:
    """Close paramiko ``clients`` with a TCP reset (SO_LINGER 0): what is queued is discarded, where a clean
    close would first send it all over the slow link. Their threads' paramiko calls then fail at once."""
    for client in clients:
        transport = client.get_transport() if client is not None else None
        if transport is None:
            continue
        if isinstance(transport.sock, socket.socket):  # not a ProxyJump channel: a real TCP socket
            try:
                transport.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        transport.close()


def remove_through_a_new_link(login: Callable[[], Any], close: Callable[[], None], command: str,
                              limit: float) -> None:
    """Run ``command`` (already quoted) through the paramiko client ``login()`` returns, then ``close()``; all
    in a thread given ``2 * limit + 1`` s, since it runs while the CLI exits. Best effort: a failure is
    silent (the next connect removes what a dead session left)."""

    def remove() -> None:
        try:
            chan = login().get_transport().open_session(timeout=limit)
            chan.exec_command(command)
            deadline = time.monotonic() + limit
            while not chan.exit_status_ready() and time.monotonic() < deadline:
                select.select([chan], [], [], 0.05)  # poll slice
        except Exception:  # noqa: BLE001 - best effort, see the docstring
            pass
        finally:
            close()

    worker = threading.Thread(target=remove, name="edgetk-ssh-cleanup", daemon=True)
    worker.start()
    worker.join(2 * limit + 1)
