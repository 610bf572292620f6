"""The control room consumer against a real Redis, driven with Channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from tradewire_bus import RedisBus
from tradewire_dashboard.consumer import CLOSE_LOGIN_REQUIRED, ControlRoomConsumer, resume_offsets
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_schemas import (
    Heartbeat,
    PriceUpdated,
    StatsUpdated,
    StatusChanged,
    TradeExecuted,
)

BOT = "alpha"


def trade(n: int, side: str = "buy", bot: str = BOT) -> TradeExecuted:
    price = Decimal("42000") + n
    return TradeExecuted(
        bot_id=bot,
        mode="paper",
        side=side,
        symbol="BTC/USDT",
        price=price,
        amount=Decimal("0.01"),
        cost=price * Decimal("0.01"),
        fee=Decimal("0.42"),
        fee_currency="USDT",
        order_id=f"order-{n}",
        position=Decimal("0.01") if side == "buy" else Decimal("0"),
        balances={"BTC": Decimal("0.01"), "USDT": Decimal("9579.58")},
    )


def price(last: str, bot: str = BOT) -> PriceUpdated:
    value = Decimal(last)
    return PriceUpdated(
        bot_id=bot,
        symbol="BTC/USDT",
        last=value,
        bid=value - 1,
        ask=value + 1,
        change_pct=Decimal("0.5"),
        iteration=1,
    )


def stats(trades: int = 0, bot: str = BOT) -> StatsUpdated:
    return StatsUpdated(
        bot_id=bot,
        trades=trades,
        wins=1,
        losses=0,
        win_rate=Decimal("100"),
        realized_profit=Decimal("12.5"),
        unrealized_profit=Decimal("0"),
        equity=Decimal("10012.5"),
        max_drawdown=Decimal("1.5"),
        fees_paid=Decimal("0.84"),
        quote_currency="USDT",
    )


def status(value: str, bot: str = BOT) -> StatusChanged:
    return StatusChanged(bot_id=bot, status=value, reason="test", actor="trader")  # type: ignore[arg-type]


def app_for(runtime: DashboardRuntime, user: Any) -> Any:
    consumer = ControlRoomConsumer.as_asgi()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await consumer({**scope, "user": user, "tradewire": runtime}, receive, send)

    return app


@contextlib.asynccontextmanager
async def connected(runtime: DashboardRuntime, user: Any, path: str = "/ws/control/") -> AsyncIterator[Any]:
    communicator = WebsocketCommunicator(app_for(runtime, user), path)
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted
    try:
        yield communicator
    finally:
        await communicator.disconnect(timeout=5)


async def receive(
    communicator: WebsocketCommunicator, *, skip: tuple[str, ...] = (), performance: bool = False
) -> dict[str, Any]:
    """The next message not in `skip`; the recorded-history figures each connect sends (`performance`,
    tested in test_trade_performance.py) are skipped too unless asked for."""
    while True:
        message: dict[str, Any] = json.loads(await communicator.receive_from(timeout=5))
        if message["type"] not in skip and (performance or message["type"] != "performance"):
            return message


async def test_connect_sends_initial_status_from_the_snapshot(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    await bus.publish(trade(1))
    await bus.publish(price("42100.5"))
    last = await bus.publish(stats(trades=1))

    async with connected(runtime, controller) as ws:
        message = await receive(ws)

    assert message["type"] == "status"
    assert message["bot_id"] == BOT
    assert message["offset"] == last.offset
    data = message["data"]
    assert data["status"] == "running"
    assert data["position"] == "0.01"
    assert data["balances"] == {"BTC": "0.01", "USDT": "9579.58"}
    assert data["price"]["last"] == "42100.5"
    assert data["stats"]["realized_profit"] == "12.5"


async def test_events_published_after_connect_are_pushed_with_their_offsets(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        assert (await receive(ws))["type"] == "status"
        published = [await bus.publish(event) for event in (trade(1), price("42001"), status("stopped"))]
        pushed = [await receive(ws) for _ in published]

    assert [m["type"] for m in pushed] == ["trade", "price", "status_change"]
    assert [m["offset"] for m in pushed] == [e.offset for e in published]
    assert pushed[0]["data"]["event_id"] == str(published[0].event.event_id)
    assert pushed[2]["data"]["status"] == "stopped"


async def test_heartbeats_are_pushed_so_the_page_can_tell_when_a_bot_goes_quiet(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        await receive(ws)
        await bus.publish(Heartbeat(bot_id=BOT, status="running", interval_s=1.0))
        message = await receive(ws)
    assert message["type"] == "heartbeat"
    assert message["data"]["interval_s"] == 1.0


async def test_an_anonymous_connection_is_closed_as_login_required_before_anything_is_sent(
    runtime: DashboardRuntime, bus: RedisBus
) -> None:
    await bus.publish(status("running"))
    communicator = WebsocketCommunicator(app_for(runtime, AnonymousUser()), "/ws/control/")
    await communicator.connect(timeout=5)
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_LOGIN_REQUIRED}


async def test_reconnecting_client_receives_missed_trades_in_order_without_duplicates(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        await receive(ws)
        seen = [await bus.publish(trade(1)), await bus.publish(trade(2, "sell"))]
        last_offset = [await receive(ws) for _ in seen][-1]["offset"]
    missed = [await bus.publish(trade(n, "buy" if n % 2 else "sell")) for n in range(3, 8)]

    async with connected(runtime, controller, f"/ws/control/?after={BOT}:{last_offset}") as ws:
        first = await receive(ws)
        replayed = [await receive(ws) for _ in missed]
        live = await bus.publish(trade(8))
        after = await receive(ws)

    assert first["type"] == "status"
    assert [m["data"]["seq"] for m in replayed] == [e.event.seq for e in missed]
    assert [m["offset"] for m in replayed] == [e.offset for e in missed]
    assert after["offset"] == live.offset


async def test_resuming_from_an_offset_the_stream_no_longer_holds_asks_for_a_resync(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller, f"/ws/control/?after={BOT}:1-0") as ws:
        assert (await receive(ws))["type"] == "status"
        message = await receive(ws)
    assert (message["type"], message["bot_id"]) == ("resync", BOT)
    assert "no longer in the stream" in message["data"]["reason"]


async def test_a_resume_longer_than_the_client_queue_arrives_whole_and_in_order(
    settings: Any, bus: RedisBus, controller: Any
) -> None:
    from tradewire_dashboard.runtime import dashboard_runtime

    start = await bus.publish(status("running"))
    published = [(await bus.publish(trade(n))).offset for n in range(30)]  # more than the queue below holds
    tight = settings.model_copy(update={"client_max_pending": 10, "client_conflate_after": 5})
    async with dashboard_runtime(tight) as runtime:
        await asyncio.wait_for(runtime.hub.ready.wait(), 5)
        path = f"/ws/control/?after={BOT}:{start.offset}"
        communicator = WebsocketCommunicator(app_for(runtime, controller), path)
        assert (await communicator.connect(timeout=5))[0]
        received = []
        while len(received) < 30:
            message = await communicator.receive_json_from(timeout=5)
            if message["type"] == "trade":
                received.append(message)
        await communicator.disconnect()
        assert runtime.stats.cut_off == 0  # the backlog is read as the client reads, never queued whole
    assert [m["offset"] for m in received] == published


def test_resume_offsets_keep_only_well_formed_pairs() -> None:
    query = b"after=alpha:1700000000000-0,bad%20bot:1-0,beta:oops,gamma:5-12"
    assert resume_offsets(query) == {"alpha": "1700000000000-0", "gamma": "5-12"}
    assert resume_offsets(b"") == {}


async def test_a_redis_restart_is_invisible_to_the_browser_apart_from_the_pause(
    settings: Any, controller: Any, persistent_redis_server: Any
) -> None:
    from tradewire_dashboard.runtime import dashboard_runtime

    own = settings.model_copy(update={"redis_url": persistent_redis_server.url})
    async with RedisBus.connect(own.redis_url) as bus, dashboard_runtime(own) as runtime:
        await bus.publish(status("running"))
        await asyncio.wait_for(runtime.hub.ready.wait(), 5)
        async with connected(runtime, controller) as ws:
            assert (await receive(ws))["type"] == "status"
            before = await bus.publish(trade(1))
            assert (await receive(ws))["offset"] == before.offset
            persistent_redis_server.restart()  # the data survives (AOF); every connection drops
            after = await bus.publish(trade(2))
            pushed = await receive(ws, skip=("resync",))
    assert (pushed["type"], pushed["offset"]) == ("trade", after.offset)
