"""What the serving dashboard process runs besides Django: the bus client and the Hub (the recorder is
its own process: `tradewire_dashboard.recorder_process`).

`RuntimeApp` wraps the ASGI application: it starts the runtime on the server's lifespan startup
(uvicorn), or on the first connection for servers without lifespan support (Daphne), and puts it in
every connection's scope as `scope["tradewire"]`, so consumers get it passed down, not from a global.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradewire_bus import Hub, RedisBus, Resync
from tradewire_bus.fanout import RenderedCache
from tradewire_dashboard import browser_messages as out
from tradewire_dashboard.config import Settings
from tradewire_runtime.rate_limit import RateLimiter
from tradewire_runtime.redis_url import without_password
from tradewire_schemas import Envelope

if TYPE_CHECKING:
    from tradewire_dashboard.performance_book import PerformanceBook

log = logging.getLogger("tradewire.dashboard")

Scope = dict[str, Any]


@dataclass
class DashboardStats:
    connections: int = 0
    rejected_frames: int = 0
    commands_sent: int = 0
    commands_limited: int = 0  # refused: over the user's rate, or too many waiting on one socket
    cut_off: int = 0


def performance_book() -> PerformanceBook:
    # Imported here: it needs the models, and this module is imported before Django is configured.
    from tradewire_dashboard.performance_book import PerformanceBook

    return PerformanceBook()


@dataclass
class DashboardRuntime:
    settings: Settings
    bus: RedisBus
    hub: Hub
    limiter: RateLimiter  # per user name, across all of that user's sockets
    stats: DashboardStats = field(default_factory=DashboardStats)
    # Every bot's `performance` figures, folded from the recorded trades once and then only the new ones.
    performance: PerformanceBook = field(default_factory=performance_book)
    # Each event's browser frame, encoded once for every browser that receives it.
    browser_texts: RenderedCache[str | None] = field(default_factory=lambda: RenderedCache(out.encode_envelope))

    def browser_text(self, item: Envelope | Resync) -> str | None:
        """What the hub writes to every browser for `item` (one bound method: one group of sockets)."""
        return out.dumps(out.for_resync(item)) if isinstance(item, Resync) else self.browser_texts.get(item)


@asynccontextmanager
async def dashboard_runtime(settings: Settings) -> AsyncIterator[DashboardRuntime]:
    """Connect to the bus and run the Hub until the block ends."""
    async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
        hub = Hub(bus, max_pending=settings.client_max_pending, conflate_after=settings.client_conflate_after)
        limiter = RateLimiter(settings.commands_per_minute, settings.command_burst)
        runtime = DashboardRuntime(settings=settings, bus=bus, hub=hub, limiter=limiter)
        # The history is read once in the background, so the first browser to connect does not wait for it.
        async with running({"tradewire-hub": hub.run(), "tradewire-performance": runtime.performance.warm()}):
            yield runtime


@asynccontextmanager
async def running(jobs: dict[str, Coroutine[Any, Any, None]]) -> AsyncIterator[None]:
    """Each coroutine as a named task for the duration of the block (a crash is logged); all stopped after."""
    tasks = [asyncio.create_task(job, name=name) for name, job in jobs.items()]
    for task in tasks:
        task.add_done_callback(report_crash)
    try:
        yield
    finally:
        await stop_tasks(tasks)


async def stop_tasks(tasks: list[asyncio.Task[None]], attempts: int = 3, grace_s: float = 2.0) -> None:
    """Cancel and wait; cancel again what is still running. redis-py can swallow a cancellation that
    lands while it reads (the task then goes on waiting for a message), so one cancel() may not do."""
    pending = set(tasks)
    for _ in range(attempts):
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=grace_s)
        if not pending:
            break
    for task in pending:
        log.warning("%s did not stop after %d cancellations; leaving it", task.get_name(), attempts)


def report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


class RuntimeApp:
    """ASGI middleware owning the runtime's lifetime and handing it to every connection."""

    def __init__(self, inner: Any, settings: Settings) -> None:
        self.inner = inner
        self.settings = settings
        self.runtime: DashboardRuntime | None = None
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()

    async def start(self) -> DashboardRuntime:
        async with self._lock:
            if self.runtime is None:
                self.runtime = await self._stack.enter_async_context(dashboard_runtime(self.settings))
                log.info("dashboard runtime started (bus %s)", without_password(self.settings.redis_url))
        return self.runtime

    async def stop(self) -> None:
        await self._stack.aclose()
        self.runtime = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        runtime = self.runtime or await self.start()
        # Into the scope itself, not a copy: an idle socket keeps every copy made on its way in.
        scope["tradewire"] = runtime
        await self.inner(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
