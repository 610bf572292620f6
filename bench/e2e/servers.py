"""The servers under test, each a real child process on a free port: what a client connects to and how.

A `Design` is one way of getting the trader's events to a WebSocket (or polling) client: the tradewire
gateway, the tradewire dashboard, and the three baselines in bench/baselines/. Each knows its
processes (for RSS and CPU), the client URL, headers, and the frame that tells a client it is ready.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tradewire_testing import answers_ok, eventually_sync, free_port
from tradewire_testing.dashboard_process import DashboardProcess

BASELINES = Path(__file__).resolve().parents[1] / "baselines"


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class ClientTarget:
    """How a client reaches a design: `ws` or `poll`, the URL, headers, and the frame meaning "ready"."""

    kind: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    ready_marker: str = ""


class ChildProcess:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.args, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


def instrumented(name: str, port: int) -> tuple[str, ...]:
    """How a tradewire server's module is run: `-m`, or, for issue 20's profiles, under a wrapper module.
    BENCH_PROFILE=DIR: cProfile, written to DIR/NAME-PORT.prof (bench/e2e/profiled.py). BENCH_GC=DIR: every
    garbage collection timed, DIR/NAME-PORT.gc.json (bench/e2e/gc_timed.py; BENCH_GC_OFF=1 disables the
    collector). The wrappers write when signalled before the stop (a server stopped by SIGTERM may never
    return to write)."""
    if profile_dir := os.environ.get("BENCH_PROFILE"):
        return ("-m", "bench.e2e.profiled", f"{profile_dir}/{name}-{port}.prof")
    if gc_dir := os.environ.get("BENCH_GC"):
        return ("-m", "bench.e2e.gc_timed", f"{gc_dir}/{name}-{port}.gc.json")
    return ("-m",)


def report_before_stop(via: tuple[str, ...], pid: int) -> None:
    if len(via) > 1:
        os.kill(pid, signal.SIGUSR1)
        time.sleep(2)  # the wrapper writes from its signal handler, between two steps of the event loop


class Design:
    name = ""
    label = ""

    def __init__(self, redis_url: str, channel: str, bot: str, workdir: Path) -> None:
        self.redis_url, self.channel, self.bot, self.workdir = redis_url, channel, bot, workdir
        self.port = free_port()

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def pids(self) -> list[int]:
        return []

    def target(self) -> ClientTarget:
        raise NotImplementedError

    def __enter__(self) -> Design:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Gateway(Design):
    name, label = "gateway", "tradewire gateway"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.token = secrets.token_urlsafe(24)
        tokens = [{"name": "bench", "token": self.token, "scopes": ["read", "control"]}]
        self.via = instrumented("gateway", self.port)
        self.child = ChildProcess(
            [sys.executable, *self.via, "tradewire_gateway"],
            {
                "GATEWAY_PORT": str(self.port),
                "REDIS_URL": self.redis_url,
                "GATEWAY_REDIS_URL": self.redis_url,
                "GATEWAY_TOKENS": json.dumps(tokens),
                "GATEWAY_LOG_LEVEL": "warning",
            },
            self.workdir / f"gateway-{self.port}.log",
        )

    def start(self) -> None:
        self.child.start()
        eventually_sync(
            lambda: answers_ok(f"http://127.0.0.1:{self.port}/readyz") or not self.child.alive(),
            timeout=30,
            interval=0.05,
            what="gateway",
        )
        if not self.child.alive():
            raise RuntimeError(f"gateway exited:\n{self.child.log()}")

    def stop(self, kill: bool = False) -> None:
        if self.child.alive():
            report_before_stop(self.via, self.child.pid)
        self.child.stop(kill)

    def pids(self) -> list[int]:
        return [self.child.pid]

    def target(self, query: str = "") -> ClientTarget:
        query = query or f"bots={self.bot}&types=trade_executed"
        return ClientTarget(
            "ws",
            f"ws://127.0.0.1:{self.port}/ws?{query}",
            {"Authorization": f"Bearer {self.token}"},
            '"type":"subscribed"',
        )


class Dashboard(Design):
    name, label = "dashboard", "tradewire dashboard"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # BENCH_DASHBOARD_RECORDER=off: no recorder process beside `serve` (to apportion the 1-client tail;
        # the default, as in production, runs it).
        record = os.environ.get("BENCH_DASHBOARD_RECORDER", "on") != "off"
        self.via = instrumented("dashboard", self.port)
        self.process = DashboardProcess(
            self.redis_url, self.workdir / f"dashboard-{self.port}", port=self.port, record=record, serve_via=self.via
        )
        self.cookie = ""

    def start(self) -> None:
        self.process.start(timeout=60)
        if not self.cookie:
            self.cookie = self.process.log_in()

    def stop(self, kill: bool = False) -> None:
        if self.process.pid is not None:
            report_before_stop(self.via, self.process.pid)
        if kill and self.process.pid is not None:
            os.kill(self.process.pid, 9)
        self.process.stop()

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process.pid else []

    def target(self, query: str = "") -> ClientTarget:
        return ClientTarget(
            "ws",
            f"ws://127.0.0.1:{self.port}/ws/control/" + (f"?{query}" if query else ""),
            {"Cookie": self.cookie, "Origin": self.process.url},
            '"type":"status"',
        )


class MinimalRelay(Design):
    name, label = "relay", "(a) minimal relay"

    def start(self) -> None:
        self.child = ChildProcess(
            [
                sys.executable,
                str(BASELINES / "minimal_relay.py"),
                self.redis_url,
                str(self.port),
                self.channel,
            ],
            {},
            self.workdir / "relay.log",
        )
        self.child.start()
        eventually_sync(lambda: port_open(self.port), timeout=30, interval=0.05, what="minimal relay")

    def stop(self) -> None:
        self.child.stop()

    def pids(self) -> list[int]:
        return [self.child.pid]

    def target(self) -> ClientTarget:
        return ClientTarget("ws", f"ws://127.0.0.1:{self.port}/", {}, "hello")


class Chained(Design):
    name, label = "chain", "(b) original chain"

    def start(self) -> None:
        script = str(BASELINES / "chained.py")
        self.upstream_port = free_port()
        self.upstream = ChildProcess(
            [sys.executable, script, "upstream", self.redis_url, str(self.upstream_port), self.channel],
            {},
            self.workdir / "chain-upstream.log",
        )
        self.relay = ChildProcess(
            [sys.executable, script, "relay", f"ws://127.0.0.1:{self.upstream_port}/ws", str(self.port)],
            {},
            self.workdir / "chain-relay.log",
        )
        self.upstream.start()
        self.relay.start()
        eventually_sync(
            lambda: port_open(self.upstream_port) and port_open(self.port),
            timeout=30,
            interval=0.05,
            what="chained baseline",
        )

    def stop(self) -> None:
        self.relay.stop()
        self.upstream.stop()

    def pids(self) -> list[int]:
        return [self.upstream.pid, self.relay.pid]

    def target(self) -> ClientTarget:
        return ClientTarget("ws", f"ws://127.0.0.1:{self.port}/ws/", {}, "hello")


class Polling(Design):
    name, label = "poll", "(c) polling 2 s"

    def start(self) -> None:
        self.child = ChildProcess(
            [sys.executable, str(BASELINES / "polling.py"), self.redis_url, str(self.port), self.channel],
            {},
            self.workdir / "polling.log",
        )
        self.child.start()
        eventually_sync(lambda: port_open(self.port), timeout=30, interval=0.05, what="polling baseline")

    def stop(self) -> None:
        self.child.stop()

    def pids(self) -> list[int]:
        return [self.child.pid]

    def target(self) -> ClientTarget:
        return ClientTarget("poll", f"http://127.0.0.1:{self.port}/events")


DESIGNS: dict[str, type[Design]] = {d.name: d for d in (Gateway, Dashboard, MinimalRelay, Chained, Polling)}


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="tradewire-bench-")
