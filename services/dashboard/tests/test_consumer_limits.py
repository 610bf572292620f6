"""Command floods on the control room's socket (issue 17, finding 2): a user without any permission
sent 1000 `request_status` in 10 s, each a bus command with its own pub/sub connection. Now a user
has the gateway's limits: a burst, then a sustained rate across all their sockets, and a cap on the
commands one socket may have waiting."""

from __future__ import annotations

import asyncio
from typing import Any

from tradewire_bus import RedisBus
from tradewire_dashboard.runtime import DashboardRuntime

from .test_consumer import BOT, connected, receive, status
from .test_consumer_commands import responder

FLOOD = 100


async def answers(ws: Any, count: int) -> list[dict[str, Any]]:
    found = []
    while len(found) < count:
        message = await receive(ws)
        if message["type"] == "bot_control":
            found.append(message["data"])
    return found


async def test_a_flood_of_request_status_is_limited_per_user_across_sockets(
    runtime: DashboardRuntime, bus: RedisBus, viewer: Any
) -> None:
    await bus.publish(status("running"))
    stream = bus.topics.bot_stream(BOT)
    async with responder(bus, BOT) as seen, connected(runtime, viewer) as ws, connected(runtime, viewer) as other:
        before = await bus.redis.xlen(stream)
        for _ in range(FLOOD):
            await ws.send_json_to({"command": "request_status", "bot_id": BOT})
        flood = await answers(ws, FLOOD)
        await other.send_json_to({"command": "request_status", "bot_id": BOT})  # a second socket, same user
        [second] = await answers(other, 1)
        grown = await bus.redis.xlen(stream) - before
    outcomes = [a["outcome"] for a in flood]
    burst = runtime.settings.command_burst
    assert outcomes.count("completed") <= burst + 1  # +1: the bucket refills a little during the test
    assert outcomes.count("rate_limited") >= FLOOD - burst - 1
    assert len(seen) == outcomes.count("completed")
    assert grown <= 2 * (burst + 1)  # the trader's answers only: not 4,000 entries
    assert second["outcome"] == "rate_limited" and "too fast" in second["message"]
    assert runtime.stats.commands_limited >= FLOOD - burst


async def test_commands_waiting_on_one_socket_are_capped(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    silent = bus.clients.listener()  # a trader that hears commands and never answers: each one waits
    await silent.subscribe(bus.topics.bot_commands(BOT))  # a shard channel on a cluster
    async with asyncio.timeout(5):  # Redis confirms: commands sent from now on reach it
        while (message := await silent.next_message()) is None or message["type"] != "subscribe":
            pass
    try:
        async with connected(runtime, controller) as ws:
            await receive(ws)
            cap = runtime.settings.commands_in_flight
            for _ in range(cap + 2):
                await ws.send_json_to({"command": "stop_bot", "bot_id": BOT})
            refused = await answers(ws, 2)
            assert await ws.receive_nothing(timeout=0.2)  # the others are still waiting for the trader
    finally:
        await silent.aclose()
    assert [a["outcome"] for a in refused] == ["rate_limited", "rate_limited"]
    assert all("waiting" in a["message"] for a in refused)
