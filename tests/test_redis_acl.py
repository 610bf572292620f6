"""Redis locked down (issue 17): the ACL users of deploy/redis/users.acl.example on a real redis-server.
The trader publishes and answers commands with its own credentials; the gateway's and the dashboard's
read, follow and send commands, and cannot publish an event, write the stream, touch the counters or
flush anything; without a password a client may only PING."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError
from websockets.asyncio.client import connect

from tradewire_bus import BusUnavailable, RedisBus
from tradewire_schemas import RequestStatus, StatusChanged
from tradewire_testing import RedisServer
from tradewire_testing.dashboard_process import DashboardProcess
from tradewire_testing.redis_acl import ServiceUsers, service_users
from tradewire_testing.responder import responder

pytestmark = pytest.mark.redis

EXAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "redis" / "users.acl.example"
BOT = "locked"
READERS = ["gateway", "dashboard", "notifier"]


@pytest.fixture(scope="module")
def users() -> ServiceUsers:
    return service_users(EXAMPLE, BOT)


@pytest.fixture(scope="module")
def locked_redis(users: ServiceUsers) -> Iterator[RedisServer]:
    with RedisServer(acl=users.acl) as server:
        yield server


def url(server: RedisServer, users: ServiceUsers, user: str) -> str:
    return users.url(user, port=server.port)


@contextlib.asynccontextmanager
async def trader(server: RedisServer, users: ServiceUsers) -> AsyncIterator[RedisBus]:
    """The trader's side with the trader's credentials: publishes, and answers every command."""
    async with RedisBus.connect(url(server, users, "trader")) as bus, responder(bus, BOT):
        yield bus


@pytest.mark.parametrize("reader", READERS)
async def test_a_readers_credentials_follow_and_command_but_cannot_publish(
    locked_redis: RedisServer, users: ServiceUsers, reader: str
) -> None:
    async with trader(locked_redis, users) as bus, RedisBus.connect(url(locked_redis, users, reader)) as client:
        async with client.subscribe(bots=[BOT]) as events:
            published = await bus.publish(StatusChanged(bot_id=BOT, status="running", reason="test", actor="trader"))
            received = await asyncio.wait_for(anext(events), 5)
        assert received == published
        assert (await client.snapshot(BOT)).offset == published.offset
        assert [e.offset for e in await client.history(BOT)][-1] == published.offset
        result = await client.send_command(RequestStatus(bot_id=BOT, actor=reader))
        assert result.outcome == "completed"

        forged = published.model_copy(update={"event": published.event.model_copy(update={"seq": 10**9})})
        attacks = [
            client.redis.publish(client.topics.bot_events(BOT), forged.model_dump_json()),
            client.redis.xadd(client.topics.bot_stream(BOT), {"event": forged.event.model_dump_json()}),
            client.redis.set(client.topics.bot_seq(BOT), 10**9),
            client.redis.hset(client.topics.bot_state(BOT), "status", "x"),
            client.redis.sadd(client.topics.bots(), "ghost"),
            client.redis.delete(client.topics.bot_stream(BOT)),
            client.redis.flushall(),
            client.redis.config_get("*"),
            client.redis.execute_command("ACL", "LIST"),
        ]
        for attack in attacks:
            with pytest.raises(NoPermissionError):
                await attack
        with pytest.raises(BusUnavailable, match="no permissions"):
            await client.publish(StatusChanged(bot_id=BOT, status="stopped", reason="forged", actor=reader))
        assert (await client.snapshot(BOT)).status == published.event  # nothing changed


async def test_the_trader_may_write_only_its_own_bot(locked_redis: RedisServer, users: ServiceUsers) -> None:
    async with RedisBus.connect(url(locked_redis, users, "trader")) as bus:
        with pytest.raises(BusUnavailable, match="no permissions"):
            await bus.publish(StatusChanged(bot_id="someone-else", status="running", reason="x", actor="trader"))
        with pytest.raises(NoPermissionError):
            await bus.redis.flushall()


async def test_without_a_password_a_client_may_only_ping(locked_redis: RedisServer, users: ServiceUsers) -> None:
    anonymous = aioredis.Redis(port=locked_redis.port)
    try:
        assert await anonymous.ping()
        with pytest.raises(NoPermissionError):
            await anonymous.get("tw:epoch")
        with pytest.raises(NoPermissionError):
            await anonymous.publish(f"tw:events:{BOT}", "x")
    finally:
        await anonymous.aclose()
    wrong = aioredis.Redis(port=locked_redis.port, username="gateway", password="not-the-password")
    try:
        with pytest.raises((AuthenticationError, ResponseError)):
            await wrong.ping()
    finally:
        await wrong.aclose()


async def test_the_dashboard_serves_with_its_own_credentials(
    locked_redis: RedisServer, users: ServiceUsers, tmp_path: Path
) -> None:
    async with trader(locked_redis, users) as bus:
        await bus.publish(StatusChanged(bot_id=BOT, status="running", reason="test", actor="trader"))
        with DashboardProcess(url(locked_redis, users, "dashboard"), tmp_path) as dashboard:
            cookie = await asyncio.to_thread(dashboard.log_in)
            ws_url = f"ws://127.0.0.1:{dashboard.port}/ws/control/"
            async with connect(ws_url, origin=dashboard.url, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
                first = json.loads(await asyncio.wait_for(ws.recv(), 5))
                await ws.send(json.dumps({"command": "request_status", "bot_id": BOT}))
                async with asyncio.timeout(10):
                    while (answer := json.loads(await ws.recv()))["type"] != "bot_control":
                        pass
            log = dashboard.log_path.read_text(errors="replace")
    assert (first["type"], first["bot_id"]) == ("status", BOT)
    assert answer["data"]["outcome"] == "completed"
    assert "NOPERM" not in log and users.passwords["dashboard"] not in log
