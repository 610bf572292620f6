"""The trader service on a real Redis: commands through the bus, shutdown, and an outage while trading."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tradewire_bus import RedisBus
from tradewire_schemas import (
    CommandResult,
    Envelope,
    RequestStatus,
    StartBot,
    StatusChanged,
    StopBot,
    TradeExecuted,
    encode,
    utc_now,
)
from tradewire_testing import RedisServer, eventually, free_port
from tradewire_trader.metrics import MetricsUnavailable
from tradewire_trader.service import StopRequest, run_service
from tradewire_trader.settings import Settings

pytestmark = pytest.mark.redis


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[tuple[RedisBus, StopRequest, asyncio.Task[None]]]:
    stop = StopRequest()
    async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
        task = asyncio.create_task(run_service(settings, stop))
        try:
            await eventually(lambda: _status(bus, settings.bot_id), timeout=10, what="trader running")
            yield bus, stop, task
        finally:
            stop.request("test finished")
            await asyncio.wait_for(task, 15)


async def _status(bus: RedisBus, bot_id: str) -> str | None:
    snapshot = await bus.snapshot(bot_id)
    return None if snapshot.status is None else snapshot.status.status


async def everything(bus: RedisBus, bot_id: str) -> list[Envelope]:
    events, after = [], "0-0"
    while batch := await bus.history(bot_id, after=after, limit=1000):
        events += batch
        after = batch[-1].offset
    return events


def ledger(path: Path) -> list[TradeExecuted]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT event FROM trades ORDER BY id").fetchall()
    return [TradeExecuted.model_validate_json(row[0]) for row in rows]


async def test_commands_through_redis_change_the_bot_once_and_are_answered(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, speed=6000, heartbeat_s=0.5)
    async with service(settings) as (bus, _stop, _task):
        again = await bus.send_command(StartBot(bot_id="demo", actor="alice"))
        assert (again.outcome, again.message) == ("completed", "demo is already running; nothing changed")
        stopped = await bus.send_command(StopBot(bot_id="demo", actor="alice"))
        assert stopped.outcome == "completed" and stopped.message.startswith("demo stopped")
        assert await _status(bus, "demo") == "stopped"  # the status change precedes the result
        started = await bus.send_command(StartBot(bot_id="demo", actor="bob"))
        assert started.message == "demo started (was stopped)"
        status = await bus.send_command(RequestStatus(bot_id="demo", actor="carol"))
        assert status.outcome == "completed" and status.message.startswith("demo is running")
        snapshot = await bus.snapshot("demo")
        assert snapshot.status is not None and snapshot.status.actor == "carol"
        assert snapshot.stats is not None and snapshot.liveness() == "live"


async def test_expired_duplicate_and_malformed_commands_change_nothing(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, speed=6000)
    async with service(settings) as (bus, _stop, _task):
        issued = utc_now() - timedelta(minutes=5)
        expired = StopBot(bot_id="demo", actor="mallory", issued_at=issued, expires_at=issued + timedelta(seconds=1))
        result = await bus.send_command(expired)
        assert result.outcome == "rejected" and "expired" in result.message
        assert await _status(bus, "demo") == "running"

        stop = StopBot(bot_id="demo", actor="alice")
        channel = bus.topics.bot_commands("demo")
        assert await bus.redis.publish(channel, encode(stop)) == 1
        assert await bus.redis.publish(channel, encode(stop)) == 1  # the same command id again
        garbage = json.dumps({"type": "stop_bot", "command_id": "7f1c0e2a-2a39-4a4e-9d39-3c1f6f1a2b3c", "bot_id": 5})
        await bus.redis.publish(channel, garbage)
        await bus.redis.publish(channel, b"\xff not json")

        def results() -> Callable[[], object]:
            async def check() -> list[CommandResult]:
                found = [e.event for e in await everything(bus, "demo") if isinstance(e.event, CommandResult)]
                return found if len(found) >= 3 else []

            return check

        answered = await eventually(results(), timeout=5, what="answers to the stop and the garbage")
        assert [r.command_id for r in answered].count(stop.command_id) == 1
        unreadable = [r for r in answered if str(r.command_id) == "7f1c0e2a-2a39-4a4e-9d39-3c1f6f1a2b3c"]
        assert len(unreadable) == 1 and unreadable[0].outcome == "rejected" and "bot_id" in unreadable[0].message
        stops = [
            e.event
            for e in await everything(bus, "demo")
            if isinstance(e.event, StatusChanged) and e.event.status == "stopped"
        ]
        assert len(stops) == 1


async def test_shutdown_publishes_stopped_with_the_reason(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, speed=6000)
    async with service(settings) as (bus, stop, task):
        stop.request("received SIGTERM")
        await asyncio.wait_for(task, 10)
        snapshot = await bus.snapshot("demo")
        assert snapshot.status is not None
        assert (snapshot.status.status, snapshot.status.reason) == ("stopped", "received SIGTERM")


async def test_trading_goes_on_through_a_redis_outage_and_nothing_is_lost_or_doubled(
    tmp_path: Path, persistent_redis_server: RedisServer, settings_for: Callable[..., Settings]
) -> None:
    server = persistent_redis_server
    settings = settings_for(tmp_path, redis_url=server.url, speed=60 * 1500, heartbeat_s=0.2)
    async with service(settings) as (bus, stop, task):
        await eventually(lambda: len(ledger(settings.state_path)) >= 5, timeout=20, what="trades before the outage")
        server.stop()
        during = len(ledger(settings.state_path))
        await eventually(
            lambda: len(ledger(settings.state_path)) >= during + 20, timeout=20, what="trades while Redis is down"
        )
        server.start()
        await eventually(
            lambda: len(ledger(settings.state_path)) >= during + 40, timeout=20, what="trades after Redis returned"
        )
        stop.request("test finished")
        await asyncio.wait_for(task, 15)
        published = await everything(bus, "demo")
    trades = [e.event for e in published if isinstance(e.event, TradeExecuted)]
    assert [t.event_id for t in trades] == [t.event_id for t in ledger(settings.state_path)]
    seqs = [e.event.seq for e in published]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq must grow by one, without gaps or repeats"


async def test_failing_market_data_ends_in_an_error_status_with_the_reason(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n1,2,3,1,2,5\n2,oops,3,1,2,5\n")
    settings = settings_for(tmp_path, redis_url=redis_url, source="replay", replay_file=bad)
    final = await asyncio.wait_for(run_service(settings, StopRequest()), 15)
    assert final == "error"
    async with RedisBus.connect(redis_url) as bus:
        snapshot = await bus.snapshot("demo")
    assert snapshot.status is not None and snapshot.status.status == "error"
    assert "bad.csv:3: not an OHLCV row" in snapshot.status.reason and snapshot.status.actor == "trader"


async def test_a_replay_that_ends_stops_the_bot_and_a_restart_resumes_after_it(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, source="replay")
    assert await asyncio.wait_for(run_service(settings, StopRequest()), 30) == "stopped"
    async with RedisBus.connect(redis_url) as bus:
        first = await everything(bus, "demo")
        assert await asyncio.wait_for(run_service(settings, StopRequest()), 30) == "stopped"
        second = (await everything(bus, "demo"))[len(first) :]
    assert isinstance(first[-1].event, StatusChanged) and first[-1].event.reason == "market data ended"
    assert not any(isinstance(e.event, TradeExecuted) for e in second), "nothing left to replay, nothing traded"
    statuses = [e.event.reason for e in second if isinstance(e.event, StatusChanged)]
    assert statuses == ["started; resuming at candle 2000", "market data ended"]
    assert second[0].event.seq == first[-1].event.seq + 1


async def test_metrics_are_served_while_trading_and_follow_commands(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    port = free_port()
    settings = settings_for(tmp_path, redis_url=redis_url, speed=6000, metrics_port=port)
    url = f"http://127.0.0.1:{port}/metrics"
    async with service(settings) as (bus, stop, task), httpx.AsyncClient() as client:

        async def scraped(name: str, **labels: str) -> float:
            text = (await client.get(url)).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == name and sample.labels == {"bot": "demo", **labels}:
                        return sample.value
            raise AssertionError(f"{name} {labels} not in the scrape")

        assert await scraped("tradewire_trader_status", status="running") == 1
        await eventually(
            lambda: scraped("tradewire_trader_candles_total"), timeout=10, what="candles counted in the scrape"
        )
        await bus.send_command(StopBot(bot_id="demo", actor="alice"))
        assert await scraped("tradewire_trader_commands_total", command="stop_bot", outcome="completed") == 1
        assert await scraped("tradewire_trader_status", status="stopped") == 1
        assert await scraped("tradewire_trader_bus_connected") == 1
        seq = (await bus.snapshot("demo")).seq
        await eventually(
            lambda: _at_least(scraped("tradewire_trader_last_seq"), seq), timeout=5, what="last_seq caught up"
        )
        stop.request("test finished")
        await asyncio.wait_for(task, 15)
        with pytest.raises(httpx.ConnectError):
            await client.get(url)  # the port is released on exit


async def _at_least(figure: Awaitable[float], floor: int) -> bool:
    return await figure >= floor


async def test_a_metrics_port_that_cannot_be_served_stops_the_start_before_running(
    tmp_path: Path, redis_url: str, settings_for: Callable[..., Settings]
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        settings = settings_for(tmp_path, redis_url=redis_url, metrics_port=held.getsockname()[1])
        with pytest.raises(MetricsUnavailable, match=r"cannot serve metrics on 127\.0\.0\.1"):
            await asyncio.wait_for(run_service(settings, StopRequest()), 15)
    async with RedisBus.connect(redis_url) as bus:
        assert (await bus.snapshot("demo")).status is None, "the bot never reported itself running"
