"""A loopback port on the host that leads to a port inside the stack's private network namespace.

The stack publishes no port (other programs hold this machine's ports, and its bridge networks are off
limits), so a browser or a client reaches it through two socat processes: one inside the namespace
(entered with nsenter) serving a Unix socket, which is a file and so visible from both sides, and one
on the host's loopback at a free port, forwarding to that socket.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tradewire_testing import free_port


class Relay:
    def __init__(self, network_pid: int, target_port: int, socket_dir: Path) -> None:
        if shutil.which("socat") is None or shutil.which("nsenter") is None:
            raise FileNotFoundError("the relay needs socat and nsenter: apt-get install socat util-linux")
        self.path = socket_dir / f"relay-{target_port}.sock"
        self.port = free_port()
        self.processes = [
            subprocess.Popen(
                [
                    "nsenter",
                    f"--net=/proc/{network_pid}/ns/net",
                    "--",
                    "socat",
                    f"UNIX-LISTEN:{self.path},fork,unlink-early",
                    f"TCP:127.0.0.1:{target_port}",
                ],
                stderr=subprocess.DEVNULL,
            ),
        ]
        self.wait_for_socket()
        self.processes.append(
            subprocess.Popen(
                ["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork", f"UNIX-CONNECT:{self.path}"],
                stderr=subprocess.DEVNULL,
            )
        )
        self.wait_for_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for_socket(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.path.exists():
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                raise RuntimeError(f"the relay inside the namespace did not start ({self.path})")
            time.sleep(0.02)

    def wait_for_port(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.processes[1].poll() is not None:
                    raise RuntimeError(f"the relay on 127.0.0.1:{self.port} did not start") from None
                time.sleep(0.02)

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()
