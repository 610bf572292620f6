"""The consumer's trading view: the chart's candle history on connect, candles and open positions
relayed live, and close_position sent to the trader with its market (permission required)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tradewire_bus import RedisBus
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_schemas import CandleClosed, Command, CommandResult, OpenPosition, PositionsChanged

from .test_consumer import BOT, connected, receive, status

START = datetime(2026, 11, 30, tzinfo=UTC)


def candle(n: int) -> CandleClosed:
    close = Decimal(42000 + n)
    return CandleClosed(
        bot_id=BOT, symbol="BTC/USDT", timeframe="1m", open_time=START + timedelta(minutes=n),
        open=close, high=close + 5, low=close - 5, close=close, volume=Decimal("1.5"), plots={"sma_fast": 42000.5},
    )  # fmt: skip


def position() -> OpenPosition:
    return OpenPosition(symbol="BTC/USDT", amount=Decimal("0.5"), entry_price=Decimal("41000"), entry_time=START)


@contextlib.asynccontextmanager
async def trader_answering(bus: RedisBus) -> AsyncIterator[list[Command]]:
    """A stand-in trader that completes every command it receives and keeps them."""
    seen: list[Command] = []
    ready = asyncio.Event()

    async def answer() -> None:
        async with bus.commands(BOT) as inbox:
            ready.set()
            async for command in inbox:
                seen.append(command)
                result = CommandResult(
                    bot_id=BOT, command_id=command.command_id, command=command.type, outcome="completed", message="sold"
                )  # fmt: skip
                await bus.publish(result)

    task = asyncio.create_task(answer())
    await asyncio.wait_for(ready.wait(), 5)
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_connect_sends_the_recent_candles_before_the_status(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    for n in range(5):
        await bus.publish(candle(n))
    await bus.publish(PositionsChanged(bot_id=BOT, positions=[position()]))
    async with connected(runtime, controller) as ws:
        history = await receive(ws)
        initial = await receive(ws)
    assert (history["type"], history["bot_id"]) == ("candles", BOT)
    assert [c["close"] for c in history["data"]["candles"]] == ["42000", "42001", "42002", "42003", "42004"]
    assert history["data"]["candles"][0]["plots"] == {"sma_fast": 42000.5}
    assert initial["type"] == "status"
    assert initial["data"]["positions"] == [
        {
            "symbol": "BTC/USDT",
            "amount": "0.5",
            "entry_price": "41000",
            "entry_time": "2026-11-30T00:00:00Z",
            "stoploss": None,
            "take_profit": None,
        }
    ]


async def test_candles_and_positions_are_pushed_live(runtime: DashboardRuntime, bus: RedisBus, controller: Any) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        await receive(ws)
        closed = await bus.publish(candle(7))
        moved = await bus.publish(PositionsChanged(bot_id=BOT, positions=[]))
        pushed = [await receive(ws, skip=("heartbeat",)) for _ in range(2)]
    assert [(m["type"], m["offset"]) for m in pushed] == [("candle", closed.offset), ("positions", moved.offset)]
    assert pushed[0]["data"]["open_time"] == "2026-11-30T00:07:00Z"
    assert pushed[1]["data"]["positions"] == []


async def test_close_position_goes_to_the_trader_with_its_market_and_is_answered(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with trader_answering(bus) as seen, connected(runtime, controller) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "close_position", "bot_id": BOT, "symbol": "BTC/USDT", "request_id": "c1"})
        answer = await receive(ws, skip=("heartbeat",))
    assert answer["type"] == "bot_control"
    data = answer["data"]
    assert (data["command"], data["symbol"], data["outcome"], data["ok"], data["request_id"]) == (
        "close_position",
        "BTC/USDT",
        "completed",
        True,
        "c1",
    )
    [command] = seen
    assert (command.type, getattr(command, "symbol", None), command.actor) == ("close_position", "BTC/USDT", "carol")


async def test_a_user_without_the_permission_cannot_close_a_position(
    runtime: DashboardRuntime, bus: RedisBus, viewer: Any
) -> None:
    await bus.publish(status("running"))
    async with trader_answering(bus) as seen, connected(runtime, viewer) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "close_position", "bot_id": BOT, "symbol": "BTC/USDT"})
        answer = await receive(ws)
    assert (answer["type"], answer["data"]["outcome"], answer["data"]["ok"]) == ("bot_control", "forbidden", False)
    assert seen == []


async def test_a_symbol_with_another_command_is_refused(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with trader_answering(bus) as seen, connected(runtime, controller) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "stop_bot", "bot_id": BOT, "symbol": "BTC/USDT"})
        error = await receive(ws)
    assert error["type"] == "error"
    assert "only understood with close_position" in error["data"]["message"]
    assert seen == []
