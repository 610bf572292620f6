"""Prometheus metrics of one trader, served over HTTP from the trader's own event loop.

The trader serves no API, so this is its only listening socket, and only when `TRADER_METRICS_PORT`
is set: several traders often share a host natively, and a fixed default port would make the second
one fail. The container image sets it (8003).

Almost every figure is read from the engine, the outbox and the command handler at scrape time
(a collector, not counters copied on every candle), so the trading loop pays nothing for it. The one
exception is publish latency, a histogram the outbox feeds per publish.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import get_args

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tradewire_schemas import BotStatus
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.trader import Trader

log = logging.getLogger("tradewire.trader.metrics")

PUBLISH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class MetricsUnavailable(ValueError):
    """The metrics port was asked for and cannot be served (taken, or not ours to bind)."""


class _TraderCollector(Collector):
    def __init__(self, trader: Trader, handler: CommandHandler) -> None:
        self._trader = trader
        self._handler = handler

    def collect(self) -> Iterator[Metric]:
        trader, outbox = self._trader, self._trader.outbox
        bot = trader.bot_id

        info = GaugeMetricFamily(
            "tradewire_trader_info", "The bot this trader runs (always 1)", labels=["bot", "symbol", "mode"]
        )
        for symbol in trader.symbols:  # one series per market the bot trades
            info.add_metric([bot, symbol, trader.mode], 1)
        yield info

        status = GaugeMetricFamily(
            "tradewire_trader_status", "1 for the bot's current status, 0 for the others", labels=["bot", "status"]
        )
        for name in get_args(BotStatus):
            status.add_metric([bot, name], 1 if trader.status == name else 0)
        yield status

        yield _counter(
            "candles", "Candles traded, counted across restarts (the engine's iteration)", bot, trader.iteration
        )
        fills = CounterMetricFamily(
            "tradewire_trader_fills", "Order fills (trades) since this process started, by side", labels=["bot", "side"]
        )
        for side in ("buy", "sell"):
            fills.add_metric([bot, side], trader.fills[side])
        yield fills
        yield _counter("orders_refused", "Orders the exchange refused or could not take", bot, trader.rejected_orders)

        commands = CounterMetricFamily(
            "tradewire_trader_commands",
            "Commands answered, by command and outcome",
            labels=["bot", "command", "outcome"],
        )
        for (command, outcome), count in sorted(self._handler.answered.items()):
            commands.add_metric([bot, command, outcome], count)
        yield commands

        published = CounterMetricFamily(
            "tradewire_trader_events_published", "Events the bus confirmed, by event type", labels=["bot", "type"]
        )
        for event_type, count in sorted(outbox.published_by_type.items()):
            published.add_metric([bot, event_type], count)
        yield published
        yield _counter("publish_failures", "Publish attempts that failed and will be retried", bot, outbox.failures)
        yield _gauge(
            "outbox_backlog", "Durable events (trades, status, results) not yet on the bus", bot, outbox.durable_backlog
        )
        yield _gauge(
            "bus_connected", "1 while the last publish succeeded, 0 while retrying", bot, int(outbox.connected)
        )
        yield _gauge("last_seq", "The highest seq the bus gave this bot's events", bot, outbox.last_seq)
        yield _gauge("open_orders", "Orders open on the exchange now", bot, len(trader.exchange.open_orders))

        stats = trader.stats_event()
        money = (
            ("equity", "Quote balance plus the position at the last price", stats.equity),
            ("realized_profit", "Profit of closed trades, fees included", stats.realized_profit),
            ("unrealized_profit", "Profit the open position would make at the last price", stats.unrealized_profit),
            ("fees_paid", "Fees paid, in the quote currency", stats.fees_paid),
        )
        for name, help_text, value in money:
            family = GaugeMetricFamily(f"tradewire_trader_{name}", help_text, labels=["bot", "currency"])
            family.add_metric([bot, stats.quote_currency], float(value))
            yield family
        position = GaugeMetricFamily("tradewire_trader_position", "Base currency held", labels=["bot", "currency"])
        for lane in trader.lanes:
            position.add_metric([bot, lane.base], float(lane.book.position))
        yield position
        # Live mode: exchange reads that failed (trading goes on), and what reconciliation could not explain.
        failures = getattr(trader.exchange, "read_failures", 0)
        yield _counter("exchange_read_failures", "Exchange reads that failed (live); trading went on", bot, failures)
        failing = int(getattr(trader.exchange, "read_error", None) is not None)
        yield _gauge("exchange_reads_failing", "1 while the last exchange read failed (live)", bot, failing)
        difference = GaugeMetricFamily(
            "tradewire_trader_reconcile_difference",
            "Base coins the exchange holds beyond the book at the last reconciliation (live); not 0: orders stopped",
            labels=["bot", "currency"],
        )
        difference.add_metric([bot, trader.base], float(trader.reconcile_difference))
        yield difference


def _counter(name: str, help_text: str, bot: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(f"tradewire_trader_{name}", help_text, labels=["bot"])
    family.add_metric([bot], value)
    return family


def _gauge(name: str, help_text: str, bot: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"tradewire_trader_{name}", help_text, labels=["bot"])
    family.add_metric([bot], value)
    return family


class TraderMetrics:
    """One trader's registry: built before the outbox (which feeds the latency histogram), then
    pointed at the engine once it exists."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.publish_seconds = Histogram(
            "tradewire_trader_publish_seconds",
            "Time from handing an event to the bus to its confirmation, successful publishes only",
            buckets=PUBLISH_BUCKETS,
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)  # CPU, memory, open files (Linux)

    def watch(self, trader: Trader, handler: CommandHandler) -> None:
        self.registry.register(_TraderCollector(trader, handler))


def metrics_app(registry: CollectorRegistry) -> web.Application:
    app = web.Application()
    app.router.add_get("/metrics", make_aiohttp_handler(registry))
    return app


@asynccontextmanager
async def metrics_server(registry: CollectorRegistry, host: str, port: int) -> AsyncIterator[int]:
    """Serve `GET /metrics` for the duration of the block; yields the bound port (useful with port 0)."""
    runner = web.AppRunner(metrics_app(registry), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            raise MetricsUnavailable(f"cannot serve metrics on {host}:{port}: {error.strerror or error}") from error
        bound = runner.addresses[0][1]
        log.info("metrics on http://%s:%d/metrics", host, bound)
        yield bound
    finally:
        await runner.cleanup()
