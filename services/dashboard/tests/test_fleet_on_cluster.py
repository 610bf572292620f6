"""The dashboard's fleet view on a Redis Cluster: a real dashboard process whose `REDIS_URL` names one
node; a bot that first publishes while a browser is connected appears in its view (its shard was
learnt from the `tw:fleet` announcement, not from a broadcast of every event)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tradewire_bus import RedisBus
from tradewire_testing import LocalCluster
from tradewire_testing.dashboard_process import DashboardProcess

from .test_consumer import status

pytestmark = pytest.mark.redis


@pytest.fixture
def dashboard_on_cluster(shared_redis_cluster: LocalCluster, tmp_path: Path) -> Iterator[DashboardProcess]:
    shared_redis_cluster.flush()
    with DashboardProcess(shared_redis_cluster.url, tmp_path) as process:
        yield process


async def test_the_fleet_view_shows_bots_on_every_shard_including_one_that_starts_later(
    dashboard_on_cluster: DashboardProcess, shared_redis_cluster: LocalCluster
) -> None:
    dashboard = dashboard_on_cluster
    cookie = await asyncio.to_thread(dashboard.log_in)
    async with RedisBus.connect(shared_redis_cluster.url) as bus:
        assert bus.sharded
        await bus.publish(status("running", bot="early"))
        origin = dashboard.url.replace("127.0.0.1", "localhost")
        url = f"ws://127.0.0.1:{dashboard.port}/ws/control/"
        async with connect(url, origin=origin, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
            seen: dict[str, str] = {}

            async def statuses_until(bot: str) -> None:
                while bot not in seen:
                    message = json.loads(await ws.recv())
                    if message.get("type") in ("status", "status_change"):  # from the snapshot, or live
                        seen[message["bot_id"]] = message["data"]["status"]

            async with asyncio.timeout(20):
                await statuses_until("early")
                late = [f"late-{n}" for n in range(6)]  # spread over the three masters by hash
                for bot in late:
                    await bus.publish(status("running", bot=bot))
                for bot in late:
                    await statuses_until(bot)
    assert seen == {"early": "running", **{bot: "running" for bot in late}}
    assert len({shared_redis_cluster.master_of(f"{{{bot}}}").port for bot in late}) > 1
