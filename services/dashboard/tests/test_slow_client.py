"""A slow browser gets conflated prices and every trade, and never delays the others.

The slow browser is a connection whose transport stops accepting frames (as a paused socket does):
the consumer's `send` waits on a gate, exactly where a real server makes it wait.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

from tradewire_bus import RedisBus
from tradewire_dashboard.consumer import ControlRoomConsumer
from tradewire_dashboard.runtime import DashboardRuntime

from .test_consumer import price, status, trade

TRADES, PRICES_PER_TRADE = 40, 20


def stalled_app(runtime: DashboardRuntime, user: Any, gate: asyncio.Event) -> Any:
    consumer = ControlRoomConsumer.as_asgi()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def slow_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                await gate.wait()
            await send(message)

        await consumer({**scope, "user": user, "tradewire": runtime}, receive, slow_send)

    return app


async def read_until(communicator: WebsocketCommunicator, last_event_id: str) -> list[dict[str, Any]]:
    messages = []
    while True:
        message = json.loads(await communicator.receive_from(timeout=10))
        messages.append(message)
        if message["type"] == "trade" and message["data"]["event_id"] == last_event_id:
            return messages


async def test_a_slow_browser_gets_conflated_prices_and_all_trades_without_delaying_others(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    gate = asyncio.Event()
    gate.set()  # let the connection's initial status through, then stall it
    slow = WebsocketCommunicator(stalled_app(runtime, controller, gate), "/ws/control/")
    fast_gate_open = asyncio.Event()
    fast_gate_open.set()
    fast = WebsocketCommunicator(stalled_app(runtime, controller, fast_gate_open), "/ws/control/")
    assert (await slow.connect())[0] and (await fast.connect())[0]
    for browser in (slow, fast):  # the status, then the recorded-history figures
        assert [json.loads(await browser.receive_from())["type"] for _ in range(2)] == ["status", "performance"]
    gate.clear()

    events = []
    for n in range(TRADES):
        events += [price(f"{42000 + n}.{tick:02d}") for tick in range(PRICES_PER_TRADE)]
        events.append(trade(n, "buy" if n % 2 else "sell"))
    last = str(events[-1].event_id)
    fast_reader = asyncio.create_task(read_until(fast, last))
    published = [await bus.publish(event) for event in events]
    fast_messages = await fast_reader  # complete while the slow browser is still stalled
    assert not gate.is_set()
    gate.set()
    slow_messages = await read_until(slow, last)
    await slow.disconnect()
    await fast.disconnect()

    def of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
        return [m for m in messages if m["type"] == kind]

    trades = [str(e.event.event_id) for e in published if e.event.type == "trade_executed"]
    assert [m["data"]["event_id"] for m in of(fast_messages, "trade")] == trades
    assert [m["data"]["event_id"] for m in of(slow_messages, "trade")] == trades  # none dropped, in order
    fast_prices, slow_prices = of(fast_messages, "price"), of(slow_messages, "price")
    # The stalled one's queue took prices as they came until it held `conflate_after` items; from then on
    # each newer price replaced the pending one...
    assert len(slow_prices) <= runtime.settings.client_conflate_after + 1 < len(fast_prices)
    latest = f"{42000 + TRADES - 1}.{PRICES_PER_TRADE - 1:02d}"
    assert slow_prices[-1]["data"]["last"] == fast_prices[-1]["data"]["last"] == latest  # ...never to a stale one
