"""Smoke tests of the end-to-end benchmark's harness (bench/e2e/) at a tiny load.

They check that the clients count what the servers deliver — every delivery, and also duplicates,
gaps and disorder when they are fed on purpose — not how fast anything is: speed is the benchmark's
business (`./tw bench e2e`), not the test suite's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bench.e2e import matrix as e2e
from bench.e2e import targets
from bench.e2e.clients import ClientGroup
from bench.e2e.load import LoadWatch
from bench.e2e.results import Memory, Result
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


def result(design: str, cell: e2e.Cell, round_: int, p99: float, *, other: float = 0.0) -> Result:
    return Result(design, cell.name, cell.clients, cell.rate, cell.events, cell.clients, p99 / 2, p99, p99, 1, 100.0,
                  0, 0, 0, 20.0, round_, other, "stranger" if other else "")  # fmt: skip


def test_a_target_is_met_only_when_its_worst_round_meets_it() -> None:
    # The gateway's p99 at 1000 clients is 1.2x, then 1.8x, then 1.0x the relay's in the same round.
    results = [
        r
        for n, ratio in enumerate((1.2, 1.8, 1.0))
        for r in (result("relay", targets.FAN, n, 10.0), result("gateway", targets.FAN, n, 10.0 * ratio))
    ]
    memory = [Memory("gateway", 1000, 70, 80, 15.0, n) for n in range(3)]
    verdicts = {v.target.key: v for v in targets.judge(targets.rounds_of(results, memory, 3))}
    fan = verdicts["gateway_fan_p99_vs_relay"]
    assert fan.values == pytest.approx([1.2, 1.8, 1.0]) and fan.median == pytest.approx(1.2)
    assert not fan.met  # the median would have passed: the worst round decides
    assert verdicts["gateway_memory"].met and verdicts["gateway_exact"].met
    assert "dashboard_memory" not in verdicts  # not measured: not judged
    assert targets.refusal(results) is None


def test_a_cell_another_process_disturbed_refuses_the_verdicts() -> None:
    results = [result("relay", targets.FAN, 0, 10.0), result("gateway", targets.FAN, 0, 11.0, other=0.35)]
    refused = targets.refusal(results)
    assert refused is not None and "stranger 35%" in refused and "gateway" in refused


def test_designs_take_turns_being_first() -> None:
    names = ["gateway", "dashboard", "relay"]
    assert [targets.rotated(names, n)[0] for n in range(4)] == ["gateway", "dashboard", "relay", "gateway"]


def test_the_load_watch_sees_a_busy_process_that_is_not_ours() -> None:
    # A busy loop started outside this process's tree (its own session, reparented to init once its
    # launcher exits) is a stranger; the watch must name it.
    launcher = subprocess.run(
        [sys.executable, "-c", BUSY_ELSEWHERE], capture_output=True, text=True, timeout=30, check=True
    )
    stranger = int(launcher.stdout)
    try:
        with LoadWatch() as watch:
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(0.05)  # the measured stretch itself: this process idles
        assert watch.load is not None
        assert stranger in [pid for _, pid, _ in watch.load.strangers]
        assert not watch.load.quiet
    finally:
        os.kill(stranger, signal.SIGKILL)


BUSY_ELSEWHERE = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time\\nend = time.time() + 20\\nwhile time.time() < end: pass"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid)
"""
