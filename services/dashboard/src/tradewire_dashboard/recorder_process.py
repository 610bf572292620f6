"""`python -m tradewire_dashboard record`: the recorder as its own process, so the one serving browsers
does no database work (issue 20: its ORM batches held the GIL and set the browsers' p99).

It reads the bus through its own Hub (one client: the recorder) and serves two probes on
`DASHBOARD_RECORDER_PORT`: `/healthz` (200 once the database is migrated, the bus subscribed and the
last attempt to store did not fail; 503 otherwise) and `/metrics` (its counters, Prometheus text).
The dashboard's `serve` migrates the database; this process waits for it instead of racing it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async

from tradewire_bus import Hub, RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.metrics import render
from tradewire_dashboard.recorder import Recorder
from tradewire_dashboard.runtime import running
from tradewire_runtime.backoff import Backoff
from tradewire_runtime.redis_url import without_password

log = logging.getLogger("tradewire.dashboard.recorder")


def yield_cpu(settings: Settings) -> str:
    """Put this process below the serving one for the CPU; returns what was applied.

    nice 10 only weights the kernel's shares: a serving process woken by a frame could still wait for the
    recorder's running slice (milliseconds with the batch of a busy second), which set the browsers' p99
    at 1000 trades/s (docs/performance.md). Under SCHED_IDLE the recorder gets a core only when no other
    process wants one, and a waking one preempts it at once; it is never starved outright (it keeps a
    tiny share), so it catches up when the cores are less busy: at-least-once storing is unchanged, only
    the history page's lag grows under saturation. Called before any thread starts: on Linux both apply
    per thread and new threads inherit them (the database's worker threads)."""
    os.nice(settings.recorder_nice)  # also where SCHED_IDLE is refused, or on a system without it
    applied = f"nice {settings.recorder_nice}"
    if settings.recorder_sched_idle and hasattr(os, "sched_setscheduler"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            applied = "SCHED_IDLE"
        except OSError as error:  # e.g. a seccomp profile that forbids it: nice alone
            log.warning("recorder: SCHED_IDLE refused (%s)", error)
    log.info("recorder: CPU priority %s, below the serving process's", applied)
    return applied


def migrated() -> bool:
    """True when every migration of the dashboard is applied (by `serve`, which owns them)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


async def wait_for_migrations(backoff: Backoff) -> None:
    while True:
        try:
            if await database_sync_to_async(migrated)():
                return
            log.info("recorder: waiting for the dashboard to migrate the database")
        except Exception as error:  # the database not up yet: the same wait
            log.info("recorder: database not reachable yet: %s", error)
        await backoff.wait()


class Probes:
    """The recorder's ASGI app: `/healthz` and `/metrics`, nothing else."""

    def __init__(self, healthy: Callable[[], bool], metrics: Callable[[], bytes]) -> None:
        self.healthy = healthy
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            ok = self.healthy()
            status, body, kind = (200 if ok else 503), b"ok\n" if ok else b"not recording\n", b"text/plain"
        elif scope["path"] == "/metrics":
            status, body, kind = 200, self.metrics(), b"text/plain; version=0.0.4; charset=utf-8"
        else:
            status, body, kind = 404, b"not found\n", b"text/plain"
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]})
        await send({"type": "http.response.body", "body": body})


@dataclass
class RecorderRuntime:
    bus: RedisBus
    hub: Hub
    recorder: Recorder
    migrated: asyncio.Event = field(default_factory=asyncio.Event)

    def healthy(self) -> bool:
        return self.migrated.is_set() and self.hub.ready.is_set() and self.recorder.healthy

    def metrics(self) -> bytes:
        return render({"hub": self.hub.stats, "bus": self.bus.stats, "recorder": self.recorder.stats})


@asynccontextmanager
async def recorder_runtime(settings: Settings) -> AsyncIterator[RecorderRuntime]:
    """Connect to the bus and record (once the database is migrated) until the block ends."""
    async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
        hub = Hub(bus, max_pending=settings.client_max_pending, conflate_after=settings.client_conflate_after)
        runtime = RecorderRuntime(bus, hub, Recorder(bus, hub))

        async def run() -> None:
            await wait_for_migrations(Backoff(bus.config.reconnect_min_s, bus.config.reconnect_max_s))
            runtime.migrated.set()
            log.info("recorder started (bus %s)", without_password(settings.redis_url))
            await runtime.recorder.run()

        async with running({"tradewire-hub": hub.run(), "tradewire-recorder": run()}):
            yield runtime


async def record(settings: Settings) -> None:
    """Record until SIGINT/SIGTERM (the probe server's uvicorn catches them and returns)."""
    import uvicorn

    async with recorder_runtime(settings) as runtime:
        config = uvicorn.Config(
            Probes(runtime.healthy, runtime.metrics),
            host=settings.host,
            port=settings.recorder_port,
            lifespan="off",
            log_level=settings.log_level,
            access_log=False,
            log_config=None,
        )
        await uvicorn.Server(config).serve()
