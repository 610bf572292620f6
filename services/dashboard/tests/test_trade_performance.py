"""What a bot's whole recorded history adds up to, worked out by the database (`trade_performance`), and
sent to a control room when it connects, after the bot's status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from channels.db import database_sync_to_async

from tradewire_bus import RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.models import Bot, Trade
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_dashboard.trade_performance import ROW_FIELDS, Figures, Message

from .test_consumer import BOT, connected, receive, status

DAY_ONE = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def bot_performance(bot_id: str) -> Message:
    """The `performance` message of one bot from every trade recorded for it: the full recomputation the
    server's PerformanceBook must agree with. Blocking (database): call it off the event loop."""
    figures = Figures()
    for row in Trade.objects.filter(bot__bot_id=bot_id).order_by("id").values_list(*ROW_FIELDS).iterator(2000):
        figures.fold(row)
    return figures.message(bot_id)


def _record(
    bot: Bot, seq: int, offset: str, symbol: str, profit: str | None, at: datetime, *, market: bool = True
) -> None:
    Trade.objects.create(
        event_id=uuid.uuid4(),
        bot=bot,
        seq=seq,
        offset=offset,
        executed_at=at + timedelta(hours=5),
        mode="paper",
        side="buy" if profit is None else "sell",
        symbol=symbol,
        price=Decimal("100"),
        amount=Decimal("1"),
        cost=Decimal("100"),
        fee=Decimal("0.1"),
        fee_currency="USDT",
        order_id=f"o{seq}",
        realized_profit=None if profit is None else Decimal(profit),
        realized_profit_pct=None if profit is None else Decimal(profit) / 2,
        position=Decimal("0"),
        market_time=at if market else None,
    )


def _history(bot_id: str = BOT) -> None:
    bot = Bot.objects.create(bot_id=bot_id)
    _record(bot, 1, "1700000000000-9", "BTC/USDT", None, DAY_ONE)
    _record(bot, 2, "1700000000000-10", "BTC/USDT", "12.5", DAY_ONE + timedelta(minutes=20))
    _record(bot, 3, "1700000000001-0", "ETH/USDT", "-2", DAY_ONE + timedelta(hours=2))
    # No market time (an older trader): its day is its execution time's, 5 hours later: the next day.
    _record(bot, 4, "1700000000002-0", "BTC/USDT", "4", DAY_ONE + timedelta(hours=20), market=False)
    other = Bot.objects.create(bot_id="someone-else")
    _record(other, 1, "1700000000009-0", "BTC/USDT", "1000", DAY_ONE)


def test_the_database_adds_up_daily_profit_equity_and_symbols_of_one_bot(database: Settings) -> None:
    _history()
    data = bot_performance(BOT)["data"]
    # Offsets compared as numbers: "-10" is after "-9", and the newest is the highest.
    assert data["through"] == "1700000000002-0"
    assert data["daily"] == [{"day": "2026-11-28", "profit": "10.5"}, {"day": "2026-11-29", "profit": "4"}]
    hour = int(DAY_ONE.replace(minute=0).timestamp())
    assert data["equity_step_s"] == 3600
    assert data["equity"] == [
        {"time": hour, "profit": "12.5"},
        {"time": hour + 2 * 3600, "profit": "10.5"},
        {"time": hour + 25 * 3600, "profit": "14.5"},
    ]
    assert data["symbols"] == [
        {"symbol": "BTC/USDT", "trades": 3, "closed": 2, "wins": 2, "profit": "16.5", "pct_sum": "8.25"},
        {"symbol": "ETH/USDT", "trades": 1, "closed": 1, "wins": 0, "profit": "-2", "pct_sum": "-1"},
    ]


def test_a_bot_without_recorded_trades_has_empty_figures_and_no_through(database: Settings) -> None:
    data = bot_performance("never-traded")["data"]
    assert (data["through"], data["daily"], data["equity"], data["symbols"]) == (None, [], [], [])


async def test_a_connecting_control_room_gets_the_recorded_figures_after_the_status(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await database_sync_to_async(_history)()
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        first = await receive(ws, performance=True)
        second = await receive(ws, performance=True)
    assert (first["type"], second["type"], second["bot_id"]) == ("status", "performance", BOT)
    assert second["data"]["through"] == "1700000000002-0"
    assert [row["profit"] for row in second["data"]["symbols"]] == ["16.5", "-2"]
