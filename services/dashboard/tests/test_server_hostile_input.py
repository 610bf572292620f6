"""The served dashboard against hostile input (issue 17): a bad `after` on the socket (finding 9) and
malformed Redis keys (finding 8) must cost at most the bad part, never the socket or other bots."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect

from tradewire_bus import RedisBus, Topics
from tradewire_testing import LocalCluster, RedisServer
from tradewire_testing.dashboard_process import DashboardProcess

from .test_consumer import status

pytestmark = pytest.mark.redis


async def status_of(dashboard: DashboardProcess, bot: str, query: str = "") -> dict[str, object]:
    """The `status` the socket sends first for `bot`, checking the socket is still open after it."""
    cookie = await asyncio.to_thread(dashboard.log_in)
    url = f"ws://127.0.0.1:{dashboard.port}/ws/control/{query}"
    async with connect(url, origin=dashboard.url, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            while (message := json.loads(await ws.recv()))["bot_id"] != bot:
                pass
        await asyncio.wait_for(await ws.ping(), 5)  # still open: not closed with 1011
    assert isinstance(message, dict)
    return message


@pytest.mark.parametrize("offset", ["\u0661\u0662-\u0660", "1-0\n", "9" * 30 + "-0"])
async def test_a_bad_after_on_the_socket_is_ignored_not_fatal(
    dashboard: DashboardProcess, redis_for_module: RedisServer | LocalCluster, offset: str
) -> None:
    async with RedisBus.connect(redis_for_module.url) as bus:
        await bus.publish(status("running", bot="after-bot"))
    message = await status_of(dashboard, "after-bot", f"?after={quote('after-bot:' + offset)}")
    assert message["type"] == "status"
    assert "Traceback" not in dashboard.log()


async def test_malformed_redis_keys_leave_the_other_bots_and_the_socket_alone(
    dashboard: DashboardProcess, redis_for_module: RedisServer | LocalCluster
) -> None:
    topics = Topics()
    async with RedisBus.connect(redis_for_module.url) as bus:
        await bus.publish(status("running", bot="healthy"))
        await bus.redis.sadd(topics.bots(), b"\xff\xfe-not-utf8", "wrongtype")
        await bus.redis.set(topics.bot_state("wrongtype"), "a string, not a hash")
    message = await status_of(dashboard, "healthy")
    assert message["type"] == "status"
    assert "Traceback" not in dashboard.log()


async def test_a_browser_that_leaves_during_its_first_messages_is_no_failure(
    dashboard: DashboardProcess, redis_for_module: RedisServer | LocalCluster
) -> None:
    async with RedisBus.connect(redis_for_module.url) as bus:
        for n in range(150):  # many bots: the first messages take long enough to leave in the middle
            await bus.publish(status("running", bot=f"crowd-{n}"))
    cookie = await asyncio.to_thread(dashboard.log_in)
    url = f"ws://127.0.0.1:{dashboard.port}/ws/control/"
    for _ in range(5):  # gone without a closing handshake, as a killed tab: the server finds out mid-write
        ws = await connect(url, origin=dashboard.url, additional_headers={"Cookie": cookie})  # type: ignore[arg-type]
        await ws.recv()
        ws.transport.abort()
    # The server still serves a whole first round, and logged no failure for the browsers that left.
    assert (await status_of(dashboard, "crowd-149"))["type"] == "status"
    assert "Traceback" not in dashboard.log()
