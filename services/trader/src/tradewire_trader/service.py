"""Wires one trader to the bus: the engine, the outbox drainer, the command inbox and the heartbeat.

`run_service(settings, stop)` is what `python -m tradewire_trader run` calls; it returns when `stop`
is set (SIGTERM, Ctrl-C) or the market data ends, after publishing the final status change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from tradewire_bus import CommandInbox, RedisBus
from tradewire_schemas import BotStatus, Heartbeat
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.components import build_exchange, build_market, build_trader
from tradewire_trader.exchange import Exchange
from tradewire_trader.metrics import TraderMetrics, metrics_server
from tradewire_trader.outbox import Outbox
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.stream_lookup import stream_tail_lookup
from tradewire_trader.trader import TRADER, Trader

log = logging.getLogger("tradewire.trader.service")
FLUSH_ON_EXIT_S = 5.0
STOP_TIMEOUT_S = 2.0


class StopRequest(asyncio.Event):
    """Set by a signal handler (or a test) with the reason the final status change will carry."""

    reason = "shutdown requested"

    def request(self, reason: str) -> None:
        if not self.is_set():
            self.reason = reason
            self.set()


async def heartbeats(trader: Trader, interval: float) -> None:
    while True:
        trader.outbox.add_latest(Heartbeat(bot_id=trader.bot_id, status=trader.status, interval_s=interval))
        await asyncio.sleep(interval)


async def answer_commands(inbox: CommandInbox, handler: CommandHandler) -> None:
    async with inbox:
        async for command in inbox:
            await handler.handle(command)


async def seq_on_bus(bus: RedisBus, bot_id: str) -> int:
    """The bot's last seq as the bus knows it, or 0 when Redis cannot be reached now."""
    try:
        return (await bus.snapshot(bot_id)).seq
    except Exception as error:  # redis-py's errors and ours: either way we trade on and publish later
        log.warning("cannot read %s's snapshot (%s); continuing from the saved seq", bot_id, error)
        return 0


@asynccontextmanager
async def background(
    *coroutines: Coroutine[Any, Any, None], on_stuck: Callable[[], Awaitable[object]] | None = None
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run helper tasks for the duration of the block; cancel them after, without waiting forever."""
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(c) for c in coroutines]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
        if pending and on_stuck is not None:
            # Seen under load: a cancelled pub/sub read turned into a connection error, and the command
            # inbox reconnected instead of stopping. Closing the inbox ends its loop for good.
            log.warning("%d helper task(s) ignored cancellation; closing the command inbox", len(pending))
            await on_stuck()
            _, pending = await asyncio.wait(pending, timeout=STOP_TIMEOUT_S)
        for task in pending:
            log.error("helper task %s did not stop; abandoning it", task.get_name())


@asynccontextmanager
async def optional_metrics_server(settings: Settings, metrics: TraderMetrics) -> AsyncIterator[None]:
    if settings.metrics_port is None:
        yield
        return
    async with metrics_server(metrics.registry, settings.metrics_host, settings.metrics_port):
        yield


async def run_service(settings: Settings, stop: StopRequest) -> BotStatus:
    """Trade until stopped; returns the final status (`error` when trading failed)."""
    store = StateStore(settings.state_path)
    try:
        async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
            metrics = TraderMetrics()
            outbox = Outbox(
                store,
                bus.publisher,
                lookup=stream_tail_lookup(bus, settings.bot_id),
                observe_publish=metrics.publish_seconds.observe,
            )
            exchange = await build_exchange(settings)
            try:
                return await trade(settings, stop, bus, store, outbox, exchange, metrics)
            finally:
                close = getattr(exchange, "close", None)
                if close is not None:
                    await close()
    finally:
        store.close()


async def trade(
    settings: Settings,
    stop: StopRequest,
    bus: RedisBus,
    store: StateStore,
    outbox: Outbox,
    exchange: Exchange,
    metrics: TraderMetrics,
) -> BotStatus:
    trader = build_trader(settings, exchange, store, outbox)
    log.info(
        "strategy %s %s; sizing %s; risk: %s",
        trader.strategy.name or type(trader.strategy).__name__,
        trader.strategy.params.model_dump(mode="json"),
        trader.sizing.describe(trader.base, trader.quote),
        trader.risk.describe(),
    )
    had_state = trader.restore()
    outbox.resume(settings.bot_id, await seq_on_bus(bus, settings.bot_id))
    handler = CommandHandler(trader, settings.heartbeat_s)
    metrics.watch(trader, handler)
    if not had_state:
        reason = "started"
    elif trader.clean_exit:
        reason = f"started; resuming at candle {trader.iteration}"
    else:
        reason = f"restarted after an unclean exit; resuming at candle {trader.iteration}"
    # Served before the bot reports itself running: a metrics port that cannot be bound stops the start.
    async with optional_metrics_server(settings, metrics):
        trader.change_status("running", reason)
        trader.publish_markets()
        market = build_market(settings, exchange)
        inbox = bus.commands(settings.bot_id)
        helpers = (outbox.run(), answer_commands(inbox, handler), heartbeats(trader, settings.heartbeat_s))
        async with background(*helpers, on_stuck=lambda: inbox.__aexit__(None, None, None)):
            trading = asyncio.create_task(trader.run(market))
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({trading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            status: BotStatus = "stopped"
            if trading in done:
                error = trading.exception()
                if error is None:
                    reason = "market data ended"
                else:
                    log.error("trading failed", exc_info=error)
                    reason, status = f"trading failed: {type(error).__name__}: {error}", "error"
            else:
                trading.cancel()
                await asyncio.wait({trading})
                reason = stop.reason
            await trader.cancel_open_orders()
            trader.change_status(status, reason, TRADER, clean_exit=True)
            if not await outbox.flush(FLUSH_ON_EXIT_S):
                log.warning(
                    "exiting with %d events unpublished; they are kept and sent on the next start",
                    outbox.durable_backlog,
                )
            store.remember_seq(outbox.last_seq)
    return status
