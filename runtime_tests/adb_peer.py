"""A minimal adbd on loopback so the REAL `adb` client (Debian's adb 29) can be tested end to end.

It speaks the adb wire protocol over TCP: CNXN (no AUTH, no TLS), OPEN/OKAY/WRTE/CLSE streams with
per-packet flow control, ``shell,v2:`` (stdin/stdout/stderr/exit packets, exit codes; a child killed by
signal N exits 128+N as adbd reports it) and ``sync:`` (STAT, LIST, SEND, RECV, QUIT).

What it proves: that AdbTransport drives the real adb client correctly — device selection by serial, quoting
of every argv element through ``adb shell``, exit codes over shell v2, push/pull, the content cache, cleanup —
and that the device-side runner works when the commands run the emulated arm64 Python (the PATH given to
the peer puts a qemu-user ``python3`` shim first).
What it does NOT prove: anything about Android itself. Commands run in the host's /bin/sh (glibc Linux, not
bionic/toybox), with the host filesystem (the test uses a temp dir as the device directory instead of
/data/local/tmp), no SELinux, no app sandbox, no Android authorization (AUTH) dialog, and no real phone's
CPU/thermal behaviour. Bionic binaries (Android's benchmark_model) cannot run on it.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path


def _cmd(name: bytes) -> int:
    return struct.unpack("<I", name)[0]


CNXN, OPEN, OKAY, WRTE, CLSE, AUTH = (_cmd(c) for c in (b"CNXN", b"OPEN", b"OKAY", b"WRTE", b"CLSE", b"AUTH"))
A_VERSION = 0x01000001  # no data checksums
MAX_PAYLOAD = 256 * 1024
BANNER = b"device::ro.product.name=edgetk_peer;ro.product.model=edgetk_peer;ro.product.device=peer;features=shell_v2,cmd"
SHELL_STDIN, SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT, SHELL_CLOSE_STDIN = 0, 1, 2, 3, 4


class _Stream:
    """One OPENed service: remote (client) id, local id, an inbox of WRTE payloads, OKAY flow control."""

    def __init__(self, conn: _Connection, local_id: int, remote_id: int) -> None:
        self.conn, self.local_id, self.remote_id = conn, local_id, remote_id
        self.inbox: list[bytes] = []
        self.cond = threading.Condition()
        self.acked = threading.Semaphore(0)
        self.closed = False
        self.buffer = b""

    def deliver(self, data: bytes) -> None:
        with self.cond:
            self.inbox.append(data)
            self.cond.notify_all()
        self.conn.send(OKAY, self.local_id, self.remote_id)

    def close_from_peer(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.acked.release()

    def read_exact(self, n: int) -> bytes | None:
        while len(self.buffer) < n:
            with self.cond:
                while not self.inbox and not self.closed:
                    self.cond.wait()
                if not self.inbox:
                    return None
                self.buffer += b"".join(self.inbox)
                self.inbox.clear()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_any(self) -> bytes | None:
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        with self.cond:
            while not self.inbox and not self.closed:
                self.cond.wait()
            if not self.inbox:
                return None
            data = b"".join(self.inbox)
            self.inbox.clear()
            return data

    def write(self, data: bytes) -> None:
        for i in range(0, len(data), self.conn.max_payload):
            if self.closed:
                return
            self.conn.send(WRTE, self.local_id, self.remote_id, data[i : i + self.conn.max_payload])
            self.acked.acquire()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.conn.send(CLSE, self.local_id, self.remote_id)
        self.conn.streams.pop(self.local_id, None)


class _Connection:
    def __init__(self, sock: socket.socket, peer: AdbPeer) -> None:
        self.sock, self.peer = sock, peer
        self.lock = threading.Lock()
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.max_payload = MAX_PAYLOAD

    def send(self, cmd: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        header = struct.pack("<6I", cmd, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, cmd ^ 0xFFFFFFFF)
        with self.lock:
            self.sock.sendall(header + data)

    def _recv(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("client went away")
            buf += chunk
        return buf

    def serve(self) -> None:
        try:
            while True:
                cmd, arg0, arg1, length, _check, _magic = struct.unpack("<6I", self._recv(24))
                data = self._recv(length) if length else b""
                self._dispatch(cmd, arg0, arg1, data)
        except (ConnectionError, OSError):
            pass
        finally:
            for s in list(self.streams.values()):
                s.close_from_peer()
            self.sock.close()

    def _dispatch(self, cmd: int, arg0: int, arg1: int, data: bytes) -> None:
        if cmd == CNXN:
            self.max_payload = min(arg1, MAX_PAYLOAD)
            self.send(CNXN, A_VERSION, MAX_PAYLOAD, BANNER)
        elif cmd == OPEN:
            service = data.rstrip(b"\0").decode()
            handler = self.peer.handler_for(service)
            if handler is None:
                self.send(CLSE, 0, arg0)
                return
            local_id, self.next_id = self.next_id, self.next_id + 1
            stream = self.streams[local_id] = _Stream(self, local_id, arg0)
            self.send(OKAY, local_id, arg0)
            threading.Thread(target=self._run_handler, args=(handler, stream), daemon=True).start()
        elif cmd == OKAY and arg1 in self.streams:
            self.streams[arg1].acked.release()
        elif cmd == WRTE and arg1 in self.streams:
            self.streams[arg1].deliver(data)
        elif cmd == CLSE:
            stream = self.streams.pop(arg1, None)
            if stream is not None:
                stream.close_from_peer()
                self.send(CLSE, stream.local_id, stream.remote_id)  # answer CLSE with CLSE

    @staticmethod
    def _run_handler(handler: Callable[[_Stream], None], stream: _Stream) -> None:
        try:
            handler(stream)
        finally:
            stream.close()


class AdbPeer:
    """Listen on 127.0.0.1:port; run shell commands with ``/bin/sh -c`` under ``env`` (PATH decides which
    python3 the "device" has)."""

    def __init__(self, port: int, env: dict[str, str] | None = None, cwd: str = "/") -> None:
        self.port, self.env, self.cwd = port, env or dict(os.environ), cwd
        self.server = socket.create_server(("127.0.0.1", port))
        self.commands: list[str] = []
        self.bytes_received = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=_Connection(sock, self).serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def handler_for(self, service: str) -> Callable[[_Stream], None] | None:
        if service.startswith("shell,") and ":" in service:
            opts, _, command = service.partition(":")
            if "v2" in opts.split(",") and command:
                return lambda s: self._shell(s, command)
        if service == "sync:":
            return self._sync
        return None

    # ---- shell,v2 ---------------------------------------------------------------------------------------
    def _shell(self, stream: _Stream, command: str) -> None:
        self.commands.append(command)
        # adbd's shells start with SIGHUP at its default action (init starts adbd so); ours would inherit the
        # test process's, and a pytest run under nohup ignores SIGHUP: the hung-up holder would live forever.
        proc = subprocess.Popen(["/usr/bin/env", "--default-signal=HUP", "/bin/sh", "-c", command],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env, cwd=self.cwd, start_new_session=True)

        def pump(pipe, ident: int) -> None:
            while chunk := os.read(pipe.fileno(), 65536):
                stream.write(bytes([ident]) + struct.pack("<I", len(chunk)) + chunk)

        pumps = [threading.Thread(target=pump, args=(p, i), daemon=True)
                 for p, i in ((proc.stdout, SHELL_STDOUT), (proc.stderr, SHELL_STDERR))]
        for t in pumps:
            t.start()
        threading.Thread(target=self._shell_stdin, args=(stream, proc), daemon=True).start()
        code = proc.wait()
        for t in pumps:
            t.join()
        status = 128 - code if code < 0 else code  # killed by signal N -> 128+N, as adbd reports it
        stream.write(bytes([SHELL_EXIT]) + struct.pack("<I", 1) + bytes([status & 0xFF]))

    @staticmethod
    def _shell_stdin(stream: _Stream, proc: subprocess.Popen) -> None:
        """Feed stdin packets. When the client closes the stream (adb killed, link dropped) do what adbd does
        (daemon/shell_service.cpp, PassDataStreams): SIGHUP to the shell it started, not to its process group,
        so a runner under that shell keeps running on a real phone — and here."""
        while True:
            head = stream.read_exact(5)
            if head is None:
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGHUP)
                return
            ident, size = head[0], struct.unpack("<I", head[1:])[0]
            payload = stream.read_exact(size) if size else b""
            try:
                if ident == SHELL_STDIN and payload:
                    proc.stdin.write(payload)
                    proc.stdin.flush()
                elif ident == SHELL_CLOSE_STDIN:
                    proc.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

    # ---- sync -------------------------------------------------------------------------------------------
    def _sync(self, stream: _Stream) -> None:
        while (head := stream.read_exact(8)) is not None:
            ident, size = head[:4], struct.unpack("<I", head[4:])[0]
            if ident == b"QUIT":
                return
            arg = stream.read_exact(size) or b""
            if ident == b"STAT":
                stream.write(b"STAT" + self._stat(arg.decode()))
            elif ident == b"LIST":
                self._list(stream, arg.decode())
            elif ident == b"SEND":
                self._recv_file(stream, arg.decode())
            elif ident == b"RECV":
                self._send_file(stream, arg.decode())
            else:
                self._fail(stream, f"unsupported sync request {ident!r}")
                return

    @staticmethod
    def _stat(path: str) -> bytes:
        try:
            st = os.stat(path)
        except OSError:
            return struct.pack("<3I", 0, 0, 0)
        return struct.pack("<3I", st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime))

    def _list(self, stream: _Stream, path: str) -> None:
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            raw = name.encode()
            stream.write(b"DENT" + self._stat(os.path.join(path, name)) + struct.pack("<I", len(raw)) + raw)
        stream.write(b"DONE" + struct.pack("<4I", 0, 0, 0, 0))

    @staticmethod
    def _fail(stream: _Stream, message: str) -> None:
        raw = message.encode()
        stream.write(b"FAIL" + struct.pack("<I", len(raw)) + raw)

    def _recv_file(self, stream: _Stream, spec: str) -> None:
        path, _, mode = spec.rpartition(",")
        tmp = f"{path}.adbpeer-{os.getpid()}-{threading.get_ident()}"
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                while True:
                    head = stream.read_exact(8)
                    if head is None:
                        raise ConnectionError("stream closed during SEND")
                    ident, size = head[:4], struct.unpack("<I", head[4:])[0]
                    if ident == b"DONE":
                        break
                    chunk = stream.read_exact(size) or b""
                    fh.write(chunk)
                    self.bytes_received += len(chunk)
            os.chmod(tmp, stat.S_IMODE(int(mode or "420")))
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            self._fail(stream, f"{path}: {exc.strerror}")
            return
        stream.write(b"OKAY" + struct.pack("<I", 0))

    def _send_file(self, stream: _Stream, path: str) -> None:
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(64 * 1024):
                    stream.write(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        except OSError as exc:
            self._fail(stream, f"{path}: {exc.strerror}")
            return
        stream.write(b"DONE" + struct.pack("<I", 0))
