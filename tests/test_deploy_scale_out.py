"""Scale-out on one Redis: two gateways, and two dashboards, each deliver every event to their own
clients, and a command runs once (docs/deployment.md, "Scale-out").

Real processes started with the images' commands (tradewire_stack.entrypoints), a real redis-server, real
WebSocket clients. Only trades and status changes are compared: they are never conflated, so every
client of every process must see exactly the same ones, in the same order.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tradewire_bus import RedisBus
from tradewire_stack import entrypoints
from tradewire_testing import RedisServer, answers_ok, eventually_sync, free_port
from tradewire_testing.dashboard_process import DashboardProcess
from tradewire_testing.processes import fast_trader_settings, service_environment, spawn, stop_gracefully

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[1]
BOT = "scaled"
TOKEN = "scale-out-test-control-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TRADES_TO_COMPARE = 5


@pytest.fixture
def trader(redis_server: RedisServer, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = service_environment(redis_server.url, **fast_trader_settings(BOT, tmp_path))
    process = spawn(entrypoints.native_argv("trader"), env, tmp_path / "trader.log")
    yield process
    stop_gracefully(process)


async def bot_events(redis_url: str) -> list[Any]:
    async with RedisBus.connect(redis_url) as bus:
        return [item.event async for item in bus.replay(BOT) if hasattr(item, "event")]


async def collect(ws: ClientConnection, kinds: dict[str, str], until: Any) -> list[tuple[str, str]]:
    """(kind, offset) of each trade/status frame until `until(frame)`; kinds maps frame types to names."""
    seen: list[tuple[str, str]] = []
    async with asyncio.timeout(30):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] in kinds and frame.get("offset"):
                seen.append((kinds[frame["type"]], frame["offset"]))
            if until(frame):
                return seen


def after_trades(trade_type: str) -> Callable[[dict[str, Any]], bool]:
    """A stop condition for `collect`: true once TRADES_TO_COMPARE trade frames went by."""
    count = 0

    def enough(frame: dict[str, Any]) -> bool:
        nonlocal count
        count += frame["type"] == trade_type
        return count >= TRADES_TO_COMPARE

    return enough


def common_tail(first: list[tuple[str, str]], second: list[tuple[str, str]]) -> tuple[list, list]:
    """Both lists from the first offset both clients were connected for (they joined at different times)."""

    def key(item: tuple[str, str]) -> tuple[int, int]:
        ms, seq = item[1].split("-")
        return int(ms), int(seq)

    start = max(key(first[0]), key(second[0]))
    return [i for i in first if key(i) >= start], [i for i in second if key(i) >= start]


@pytest.fixture
def gateways(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[str]]:
    tokens = json.dumps([{"name": "ops", "token": TOKEN, "scopes": ["read", "control"]}])
    processes, urls = [], []
    for name in ("gateway-1", "gateway-2"):
        port = free_port()
        env = service_environment(redis_server.url, GATEWAY_PORT=str(port), GATEWAY_TOKENS=tokens)
        processes.append(spawn(entrypoints.native_argv("gateway"), env, tmp_path / f"{name}.log"))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            eventually_sync(lambda url=url: answers_ok(f"{url}/readyz"), timeout=30, interval=0.1, what=f"{url} ready")
        yield urls
    finally:
        for process in processes:
            stop_gracefully(process)


async def test_two_gateways_deliver_every_event_to_their_clients_and_a_command_sent_to_both_runs_once(
    redis_server: RedisServer, trader: subprocess.Popen[bytes], gateways: list[str]
) -> None:
    def live() -> bool:
        detail = httpx.get(f"{gateways[0]}/api/v1/bots/{BOT}", headers=AUTH)
        return detail.status_code == 200 and detail.json()["liveness"] == "live"

    eventually_sync(live, timeout=30, interval=0.1, what="the trader live through the first gateway")
    kinds = {"trade_executed": "trade", "status_change": "status"}
    query = f"/ws?bots={BOT}&types=trade_executed,status_change&snapshot=false"
    sockets = [connect(url.replace("http://", "ws://") + query, additional_headers=AUTH) for url in gateways]
    async with sockets[0] as first, sockets[1] as second:
        for ws in (first, second):
            while json.loads(await ws.recv())["type"] != "subscribed":
                pass
        # Let some trades flow to both, then stop the bot through BOTH gateways with one idempotency key,
        # at the same moment: a client retrying on the other gateway.
        trades = await asyncio.gather(*(collect(ws, kinds, after_trades("trade_executed")) for ws in (first, second)))
        async with httpx.AsyncClient(headers=AUTH | {"Idempotency-Key": "stop-once"}, timeout=20) as http:
            answers = await asyncio.gather(
                *(http.post(f"{url}/api/v1/bots/{BOT}/commands", json={"command": "stop_bot"}) for url in gateways)
            )
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        results = [a.json() for a in answers]
        assert results[0]["command_id"] == results[1]["command_id"]
        assert [r["outcome"] for r in results] == ["completed", "completed"]

        def stopped(frame: dict[str, Any]) -> bool:
            return frame["type"] == "status_change" and frame["data"]["status"] == "stopped"

        rest = await asyncio.gather(*(collect(ws, kinds, stopped) for ws in (first, second)))

    seen_first, seen_second = common_tail(trades[0] + rest[0], trades[1] + rest[1])
    assert seen_first == seen_second, "the two gateways' clients saw different events"
    assert sum(kind == "trade" for kind, _ in seen_first) >= 1
    assert seen_first[-1][0] == "status"

    events = await bot_events(redis_server.url)
    command_id = results[0]["command_id"]
    finals = [
        e
        for e in events
        if e.type == "command_result" and str(e.command_id) == command_id and e.outcome in ("completed", "rejected")
    ]
    assert len(finals) == 1, "the command ran more than once"
    assert [e.actor for e in events if e.type == "status_change" and e.status == "stopped"] == ["ops"]


async def test_two_dashboards_deliver_every_event_to_their_browsers_and_a_command_runs_once(
    redis_server: RedisServer, trader: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    env = {"DASHBOARD_DATABASE_URL": ""}  # each its own SQLite under its data dir, whatever the environment says
    with (
        DashboardProcess(redis_server.url, tmp_path / "dashboard-1", extra_env=env) as one,
        DashboardProcess(redis_server.url, tmp_path / "dashboard-2", extra_env=env) as two,
    ):
        cookies = [await asyncio.to_thread(one.log_in), await asyncio.to_thread(two.log_in)]
        kinds = {"trade": "trade", "status_change": "status"}
        sockets = [
            connect(f"ws://127.0.0.1:{d.port}/ws/control/", origin=d.url, additional_headers={"Cookie": c})  # type: ignore[arg-type]
            for d, c in zip((one, two), cookies, strict=True)
        ]
        async with sockets[0] as first, sockets[1] as second:
            trades = await asyncio.gather(*(collect(ws, kinds, after_trades("trade")) for ws in (first, second)))
            await first.send(json.dumps({"command": "stop_bot", "bot_id": BOT, "request_id": "stop-1"}))

            def stopped(frame: dict[str, Any]) -> bool:
                return frame["type"] == "status_change" and frame["data"]["status"] == "stopped"

            rest = await asyncio.gather(*(collect(ws, kinds, stopped) for ws in (first, second)))
    seen_first, seen_second = common_tail(trades[0] + rest[0], trades[1] + rest[1])
    assert seen_first == seen_second, "the two dashboards' browsers saw different events"
    assert seen_first[-1][0] == "status"

    events = await bot_events(redis_server.url)
    stops = [e for e in events if e.type == "command_result" and e.command == "stop_bot" and e.outcome == "completed"]
    assert len(stops) == 1, "the stop ran more than once"
    assert [e.actor for e in events if e.type == "status_change" and e.status == "stopped"] == [one.username]
