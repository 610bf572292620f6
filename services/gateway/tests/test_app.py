"""The app as a whole while Redis comes and goes: clear 503s and 1013s, never a 500, and recovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tradewire_bus import RedisBus
from tradewire_testing import RedisServer, eventually


@pytest.mark.one_redis("it kills or restarts its one Redis")
async def test_while_redis_is_away_reads_and_commands_are_503_and_sockets_close_with_1013(
    http: httpx.AsyncClient, gateway: Any, ws: Callable[..., Any], redis_server: RedisServer
) -> None:
    redis_server.kill()
    bots = await http.get("/api/v1/bots", headers=gateway.auth())
    command = await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"}, headers=gateway.auth())
    async with ws() as client:  # the snapshot needs Redis
        code, reason = await client.closed_with(timeout=30)
    assert bots.status_code == 503 and "Redis is unreachable" in bots.json()["detail"]
    assert command.status_code == 503
    assert (code, reason) == (1013, "event bus unreachable; retry shortly")


@pytest.mark.one_redis("it kills or restarts its one Redis")
async def test_a_connected_socket_is_told_to_resync_when_redis_loses_its_data_and_then_gets_new_events(
    http: httpx.AsyncClient, ws: Callable[..., Any], redis_server: RedisServer, make: Any
) -> None:
    async with ws("snapshot=false") as client:
        await client.receive()  # subscribed
        redis_server.restart()  # loses everything, as a crash without persistence would
        await eventually(lambda: _ok(http), timeout=20, what="readyz after the restart")
        async with RedisBus.connect(redis_server.url) as bus:
            published = await bus.publish(make.trade("alpha"))
        resync = await client.receive_until(lambda f: f["type"] == "resync", timeout=20)
        frame = await client.receive_until(lambda f: f["type"] == "trade_executed", timeout=20)
    assert resync["bot_id"] is None and "epoch" in resync["reason"]
    assert frame["offset"] == published.offset


async def _ok(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200


async def test_stopping_the_gateway_tells_connected_sockets_to_come_back_with_1012(
    gateway_factory: Callable[..., Any], ws_to: Any
) -> None:
    gateway = gateway_factory()
    async with ws_to(gateway)("snapshot=false") as client:
        await client.receive()  # subscribed
        gateway.server.should_exit = True
        code, _ = await client.closed_with(timeout=20)
    assert code == 1012
