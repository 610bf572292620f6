"""The container engine the images are built and run on: a Docker Engine when one answers, else a
podman of our own.

The private podman keeps its storage, run directory and API socket under one folder (nothing in the
host's /var/lib/containers) and serves the Docker API on that socket, so Docker Compose v2 drives it
through DOCKER_HOST. Its settings are the ones this kind of machine needs: runc (crun fails on hybrid
cgroups), cgroupfs (no systemd), events in a file, and default ulimits within the host's hard limits
(the sandbox cannot raise them).
"""

from __future__ import annotations

import fcntl
import http.client
import os
import shutil
import socket as sockets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{home}/storage"
runroot = "{home}/run"
"""


class EngineMissing(RuntimeError):
    """No Docker Engine answers and podman cannot run here; the message says what to install."""


@dataclass(frozen=True)
class Engine:
    """A container CLI and the environment it (and Compose) must run with."""

    cli: str  # "docker" or "podman"
    env: Mapping[str, str] = field(default_factory=dict)
    # A private podman runs no health checks by itself (that is systemd's job): Stack drives them.
    drives_health_checks: bool = False
    home: Path | None = None  # the private podman's folder (storage, sockets), None for Docker

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def run(self, *args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.cli, *args], env=self.environment(), capture_output=True, text=True, check=check, timeout=timeout
        )

    def has_image(self, name: str) -> bool:
        return self.run("image", "inspect", name, check=False).returncode == 0

    def image_size(self, name: str) -> int:
        return int(self.run("image", "inspect", "--format", "{{.Size}}", name).stdout.strip())

    def build_args(self) -> list[str]:
        """Flags for `build` beyond file, tag and context."""
        if self.cli == "podman":
            # The host network reaches the package registries; the docker format keeps HEALTHCHECK
            # (OCI has no such field); never try a registry for a base that is not here.
            return ["--network", "host", "--pull=never", "--format", "docker"]
        return []


def docker_engine() -> Engine | None:
    """The Docker Engine of DOCKER_HOST (or the default socket), if one answers."""
    if shutil.which("docker") is None:
        return None
    try:
        answered = subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        answered = False
    return Engine("docker") if answered else None


@contextmanager
def private_podman(home: Path) -> Iterator[Engine]:
    """A podman with its own storage under `home`, serving the Docker API while the block runs."""
    if shutil.which("podman") is None or shutil.which("runc") is None:
        raise EngineMissing("no Docker Engine answers and podman is missing: apt-get install podman runc")
    if os.geteuid() != 0:
        raise EngineMissing("the private podman runs as root (rootless podman needs subordinate ids)")
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    with (home / "lock").open("w") as lock:
        # One run at a time per folder: a second service on the same socket would unlink the first's.
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"stack: waiting for another run using {home}", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        with _serve(home) as engine:
            yield engine


@contextmanager
def _serve(home: Path) -> Iterator[Engine]:
    (home / "containers.conf").write_text(CONTAINERS_CONF)
    (home / "storage.conf").write_text(STORAGE_CONF.format(home=home))
    socket = home / "podman.sock"
    socket.unlink(missing_ok=True)
    env = {
        "CONTAINERS_CONF": str(home / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(home / "storage.conf"),
        "DOCKER_HOST": f"unix://{socket}",
    }
    engine = Engine("podman", env, drives_health_checks=True, home=home)
    with (home / "service.log").open("ab") as log:
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", env["DOCKER_HOST"]],
            env=engine.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_api(socket, service)
        yield engine
    finally:
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        socket.unlink(missing_ok=True)


def wait_for_api(socket: Path, service: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise EngineMissing(f"podman system service exited with {service.returncode}; see its service.log")
        if socket.exists() and ping(socket):
            return
        time.sleep(0.05)
    raise EngineMissing(f"podman's API did not answer on {socket} within {timeout:.0f} s")


def ping(socket: Path) -> bool:
    class UnixConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
            self.sock.settimeout(2)
            self.sock.connect(str(socket))

    connection = UnixConnection("podman")
    try:
        connection.request("GET", "/_ping")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def engine(home: Path, choice: str = "auto") -> Iterator[Engine]:
    """`choice`: docker, podman, or auto (a Docker Engine if one answers, else a private podman)."""
    if choice in ("auto", "docker"):
        found = docker_engine()
        if found is not None:
            yield found
            return
        if choice == "docker":
            raise EngineMissing("no Docker Engine answers (docker info failed)")
    with private_podman(home) as podman:
        yield podman
