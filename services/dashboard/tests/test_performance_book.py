"""The serving process's `PerformanceBook`: the `performance` figures it keeps up to date by folding in only
new trade rows are those of a full recomputation from the database (`bot_performance`), after every step
of a trade sequence, after a restart, after a deleted trade, across pages; and its database work runs
off the event loop."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from channels.db import database_sync_to_async
from django.db.models import Count, Q, Sum

from tradewire_bus import RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.models import Trade
from tradewire_dashboard.performance_book import PerformanceBook
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_dashboard.storage import store
from tradewire_schemas import Envelope, TradeExecuted

from .test_consumer import connected, receive, status
from .test_trade_performance import bot_performance

BOTS = ("alpha", "beta", "gamma")
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/BTC")
START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


class Trades:
    """Records trades as the recorder does (`storage.store`), with increasing offsets, random figures."""

    def __init__(self, seed: int, spacing_min: int = 600, pct_divisor: int = 7) -> None:
        self.random = random.Random(seed)
        self.pct_divisor = pct_divisor
        self.spacing_min = spacing_min
        self.millis = 1_700_000_000_000
        self.seq = dict.fromkeys(BOTS, 0)
        self.at = START

    def envelope(self, bot: str) -> Envelope:
        self.millis += self.random.choice((0, 1, 7))
        self.seq[bot] += 1
        self.at += timedelta(minutes=self.random.randint(1, self.spacing_min))
        closing = self.random.random() < 0.6
        profit = Decimal(self.random.randint(-99_999_999, 99_999_999)).scaleb(-self.random.randint(0, 8))
        trade = TradeExecuted(
            bot_id=bot,
            seq=self.seq[bot],
            mode="paper",
            side="sell" if closing else "buy",
            symbol=self.random.choice(SYMBOLS),
            price=Decimal("100"),
            amount=Decimal("1"),
            cost=Decimal("100"),
            fee=Decimal("0.1"),
            fee_currency="USDT",
            order_id=f"{bot}-{self.seq[bot]}",
            position=Decimal("0"),
            balances={"USDT": Decimal("1000")},
            realized_profit=profit if closing else None,
            realized_profit_pct=profit / self.pct_divisor if closing and self.random.random() < 0.9 else None,
            # Some from older traders, without market time: bucketed by execution time.
            market_time=self.at if self.random.random() < 0.8 else None,
            ts=self.at + timedelta(seconds=self.random.randint(0, 7200)),
        )
        return Envelope(epoch="e1", offset=f"{self.millis}-{self.seq[bot] % 13}", event=trade)

    def record(self, count: int) -> None:
        envelopes = [self.envelope(self.random.choice(BOTS)) for _ in range(count)]
        assert store(envelopes).new == count


def message(book: PerformanceBook, bot: str) -> dict[str, Any]:
    """One bot's `performance` message as a dict, as of the newest trades recorded."""
    loaded: dict[str, Any] = json.loads(book.texts([bot])[bot].text)
    return loaded


def full(bot: str) -> dict[str, Any]:
    return bot_performance(bot)["data"]


def assert_book_is_exact(book: PerformanceBook) -> None:
    for bot in (*BOTS, "never-traded"):
        assert message(book, bot)["data"] == full(bot), bot


def test_after_every_step_of_a_trade_sequence_the_book_equals_a_full_recomputation(database: Settings) -> None:
    trades, book = Trades(seed=1), PerformanceBook()
    assert_book_is_exact(book)  # nothing recorded yet
    for step in (1, 5, 40, 0, 300, 2):
        trades.record(step)
        assert_book_is_exact(book)
    # Every row was read once: one full read at the start, then only what each step added.
    assert (book.stats.full_reads, book.stats.rows) == (1, 348)


def test_a_restarted_process_and_a_running_one_agree_with_the_database(database: Settings) -> None:
    trades, running = Trades(seed=2), PerformanceBook()
    trades.record(200)
    assert_book_is_exact(running)
    trades.record(50)
    restarted = PerformanceBook()  # nothing of the book is stored: it starts from the table
    assert_book_is_exact(restarted)
    assert_book_is_exact(running)
    assert (restarted.stats.rows, running.stats.rows) == (250, 250)


def test_a_deleted_trade_makes_the_book_start_again_from_the_table(database: Settings) -> None:
    trades, book = Trades(seed=3), PerformanceBook()
    trades.record(80)
    assert_book_is_exact(book)
    Trade.objects.filter(id=Trade.objects.filter(realized_profit__isnull=False).order_by("id")[10].id).delete()
    trades.record(5)
    assert_book_is_exact(book)
    assert book.stats.full_reads == 2


def test_a_history_longer_than_a_page_is_read_page_by_page_and_stays_exact(database: Settings) -> None:
    trades, book = Trades(seed=4, spacing_min=1440), PerformanceBook(page=37)
    trades.record(400)
    assert_book_is_exact(book)
    trades.record(15)
    assert_book_is_exact(book)
    # Months of history: the equity curve is by day, both ways.
    assert message(book, "alpha")["data"]["equity_step_s"] == 86400


def test_the_fold_agrees_with_the_databases_own_sums(database: Settings) -> None:
    """Independent of the fold: the per-symbol table as SQL aggregates. SQLite sums decimals as floats
    (15 significant digits), so the profit is compared to a relative 1e-12; the fold is exact."""
    Trades(seed=5).record(120)
    for bot in BOTS:
        closed = Q(realized_profit__isnull=False)
        rows = (
            Trade.objects.filter(bot__bot_id=bot)
            .values("symbol")
            .annotate(
                trades=Count("id"),
                closed=Count("id", filter=closed),
                wins=Count("id", filter=Q(realized_profit__gt=0)),
                profit=Sum("realized_profit", filter=closed),
            )
            .order_by("symbol")
        )
        folded = message(PerformanceBook(), bot)["data"]["symbols"]
        assert [(r["symbol"], r["trades"], r["closed"], r["wins"]) for r in rows] == [
            (f["symbol"], f["trades"], f["closed"], f["wins"]) for f in folded
        ]
        for row, mine in zip(rows, folded, strict=True):
            exact = Decimal(mine["profit"])
            assert abs((row["profit"] or Decimal(0)) - exact) <= abs(exact) * Decimal("1e-12") + Decimal("1e-12")


async def test_the_book_reads_the_database_in_a_worker_thread(database: Settings) -> None:
    threads: list[int] = []

    class Watched(PerformanceBook):
        def catch_up(self) -> None:
            threads.append(threading.get_ident())
            super().catch_up()

    await database_sync_to_async(Trades(seed=6).record)(10)
    book = Watched()
    await book.warm()
    texts = await book.texts_for(["alpha"])
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert '"type":"performance"' in texts["alpha"].text


async def test_reconnecting_control_rooms_get_exact_figures_from_new_rows_only(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    trades = Trades(seed=7)
    await database_sync_to_async(trades.record)(60)
    await bus.publish(status("running", bot="alpha"))
    for _ in range(3):
        async with connected(runtime, controller) as ws:
            assert (await receive(ws, performance=True))["type"] == "status"
            sent = await receive(ws, performance=True)
        assert sent["type"] == "performance"
        assert sent["data"] == await database_sync_to_async(full)("alpha")
        await database_sync_to_async(trades.record)(9)
    # The startup warm-up read the whole table once; the connects only what was recorded since.
    await asyncio.wait_for(runtime.performance.warm(), 5)
    assert runtime.performance.stats.full_reads == 1
    assert runtime.performance.stats.rows == 60 + 3 * 9


async def test_trades_on_the_bus_the_recorder_has_yet_to_store_are_in_the_figures_sent(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    """The live relay starts after the snapshot: a trade published after the recorded ones and before the
    snapshot (the recorder stores every 100 ms at most) must be in the figures, or the page never counts it.
    Profits the database holds exactly (a column keeps 12 decimals; SQLite, 15 significant digits)."""
    trades = Trades(seed=8, pct_divisor=4)
    await database_sync_to_async(trades.record)(40)
    await bus.publish(status("running", bot="alpha"))
    for _ in range(6):
        await bus.publish(trades.envelope("alpha").event)
    unrecorded = [e for e in await bus.history("alpha", limit=100) if isinstance(e.event, TradeExecuted)]
    async with connected(runtime, controller) as ws:
        assert (await receive(ws, performance=True))["type"] == "status"
        sent = await receive(ws, performance=True)
    assert sent["data"]["through"] == unrecorded[-1].offset
    # Once the recorder has stored them, the database says the same.
    await database_sync_to_async(store)(unrecorded)
    assert sent["data"] == await database_sync_to_async(full)("alpha")
