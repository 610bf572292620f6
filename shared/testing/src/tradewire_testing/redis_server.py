"""A private redis-server on a free port, for tests and benchmarks. Never touches anyone else's Redis."""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis


class RedisServerMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """Start, stop, kill and restart one redis-server process that owns a temporary directory.

    `persistence=True` turns on the append-only file, so a restart keeps the data; without it a
    restart loses everything, like the machine's default Redis.
    """

    def __init__(
        self,
        *,
        persistence: bool = False,
        port: int | None = None,
        acl: str | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        found = shutil.which("redis-server")
        if found is None:
            raise RedisServerMissing("redis-server is not on PATH (Debian: apt-get install redis-server)")
        self.binary = found
        self.persistence = persistence
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="tradewire-redis-")
        self._process: subprocess.Popen[bytes] | None = None
        # With `acl` (lines of an ACL file), `url` logs in as an added `admin`; the default user is off
        # unless those lines define it.
        self.admin_password = secrets.token_hex(16) if acl is not None else None
        self.acl = acl
        self.extra_args = list(extra_args or [])

    @property
    def url(self) -> str:
        if self.admin_password is not None:
            return self.url_for("admin", self.admin_password)
        return f"redis://127.0.0.1:{self.port}/0"

    def url_for(self, user: str, password: str) -> str:
        return f"redis://{user}:{password}@127.0.0.1:{self.port}/0"

    @property
    def directory(self) -> Path:
        return Path(self._dir.name)

    def start(self, *, timeout: float = 10.0) -> None:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            self._dir.name,
            "--save",
            "",
            "--appendonly",
            "yes" if self.persistence else "no",
            "--appendfsync",
            "always",
            "--daemonize",
            "no",
            "--logfile",
            str(self.directory / "redis.log"),
            *self.extra_args,
        ]
        if self.acl is not None:
            users = self.directory / "users.acl"
            lines = self.acl.strip().splitlines()
            if not any(line.startswith("user default ") for line in lines):
                lines.insert(0, "user default off")
            users.write_text("\n".join([f"user admin on >{self.admin_password} ~* &* +@all", *lines]) + "\n")
            args += ["--aclfile", str(users)]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        client = redis.Redis(
            port=self.port,
            username="admin" if self.admin_password else None,
            password=self.admin_password,
            socket_connect_timeout=0.2,
            socket_timeout=0.5,
        )
        try:
            while True:
                if self._process.poll() is not None:
                    log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server exited with {self._process.returncode}:\n{log}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server did not answer PING on port {self.port} within {timeout}s")
                time.sleep(0.01)  # polling the process we just started; nothing else to wait on
        finally:
            client.close()

    def stop(self) -> None:
        """Graceful shutdown: with persistence the data survives a later start()."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self._process and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def pause(self) -> None:
        """SIGSTOP: alive but deaf, as a stalled machine (a replica that stops taking its master's writes)."""
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        self.kill()
        self._dir.cleanup()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()
