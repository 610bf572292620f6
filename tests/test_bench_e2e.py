"""Smoke tests of the end-to-end benchmark's harness (bench/e2e/) at a tiny load.

They check that the clients count what the servers deliver — every delivery, and also duplicates,
gaps and disorder when they are fed on purpose — not how fast anything is: speed is the benchmark's
business (`./tw bench e2e`), not the test suite's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bench.e2e import matrix as e2e
from bench.e2e.clients import ClientGroup
from bench.e2e.servers import Dashboard, Gateway, MinimalRelay, scratch_dir
from tradewire_bus import RedisBus, Topics
from tradewire_testing import RedisServer

pytestmark = pytest.mark.redis
CHANNEL = Topics().bot_events(e2e.BOT)


@pytest.fixture
def relay(redis_server: RedisServer) -> Iterator[MinimalRelay]:
    with scratch_dir() as folder, MinimalRelay(redis_server.url, CHANNEL, e2e.BOT, Path(folder)) as design:
        yield design


async def publish_trades(url: str, cell: int, count: int) -> None:
    async with RedisBus.connect(url) as bus:
        await e2e.publish(bus, cell, count, rate=2000)


def test_clients_in_two_processes_count_every_delivery_once(redis_server: RedisServer, relay: MinimalRelay) -> None:
    group = ClientGroup(relay.target(), connections=5, processes=2, cell=3, expected=40)
    try:
        assert group.wait_ready(timeout=60) == (5, 0)
        asyncio.run(publish_trades(redis_server.url, cell=3, count=40))
        tally = group.finish(time.time() + 20)
    finally:
        group.kill()
    assert (tally.delivered, tally.duplicates, tally.out_of_order, tally.missing, tally.complete) == (200, 0, 0, 0, 5)
    assert len(tally.latencies_us) == 200
    assert all(latency > 0 for latency in tally.latencies_us)


def test_clients_count_duplicates_disorder_and_what_never_came(redis_server: RedisServer, relay: MinimalRelay) -> None:
    group = ClientGroup(relay.target(), connections=2, processes=1, cell=9, expected=5)
    try:
        group.wait_ready(timeout=60)
        with redis.Redis.from_url(redis_server.url) as client:
            # 0, 1, 1 again, 3, then 2 late; 4 never comes; another cell's event is ignored.
            for cell, n in ((9, 0), (9, 1), (9, 1), (9, 3), (9, 2), (8, 4)):
                client.publish(CHANNEL, f'{{"event":{{"order_id":"{cell}.{n}.{time.time_ns()}"}}}}')
        tally = group.finish(time.time() + 2)
    finally:
        group.kill()
    assert (tally.delivered, tally.duplicates, tally.out_of_order, tally.missing, tally.complete) == (8, 2, 2, 2, 0)


@pytest.mark.parametrize("design", [Gateway, Dashboard])
def test_a_cell_through_the_real_service_delivers_everything(redis_server: RedisServer, design: type) -> None:
    async def announce() -> None:  # the dashboard's first frame is a bot's status: give it a bot
        async with RedisBus.connect(redis_server.url) as bus:
            await bus.publish(e2e.StatusChanged(bot_id=e2e.BOT, status="running", reason="test", actor="test"))

    asyncio.run(announce())
    with scratch_dir() as folder, design(redis_server.url, CHANNEL, e2e.BOT, Path(folder)) as server:
        result = e2e.run_cell(server, redis_server.url, e2e.Cell(3, 200, 0.1), 5, processes=1, drain_s=20)
    counts = (result.connected, result.events, result.delivered_pct, result.duplicates, result.out_of_order)
    assert counts == (3, 20, 100.0, 0, 0)
    assert result.p50_ms <= result.p99_ms <= result.max_ms
