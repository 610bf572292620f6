"""The gateway and a real trader process on one Redis, then on a Redis Cluster (`any_redis_url`): commands
over HTTP and WebSocket, state, liveness. Both processes find the topology from the one URL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tradewire_testing import answers_ok, eventually, eventually_sync, free_port
from tradewire_testing.processes import service_environment, spawn, stop_gracefully

pytestmark = pytest.mark.redis

TOKEN = "ops-token-for-the-cross-service-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def services(tmp_path: Path, any_redis_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    base = service_environment(any_redis_url)
    port = free_port()
    gateway_env = base | {
        "GATEWAY_PORT": str(port),
        "GATEWAY_TOKENS": json.dumps([{"name": "ops", "token": TOKEN, "scopes": ["read", "control"]}]),
    }
    trader = spawn(
        [sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "alpha", "--heartbeat-s", "0.5"],
        base,
        tmp_path / "trader.log",
    )
    gateway = spawn([sys.executable, "-m", "tradewire_gateway"], gateway_env, tmp_path / "gateway.log")
    url = f"http://127.0.0.1:{port}"
    try:
        eventually_sync(lambda: answers_ok(f"{url}/readyz"), timeout=20, interval=0.1, what="gateway ready")
        yield url, trader
    finally:
        stop_gracefully(trader)
        stop_gracefully(gateway)


async def alpha_is_live(http: httpx.AsyncClient) -> bool:
    bots = (await http.get("/api/v1/bots")).json()["bots"]
    return any(bot["bot_id"] == "alpha" and bot["liveness"] == "live" for bot in bots)


class Frames:
    """Reads a socket's frames, keeping the ones not asked for yet (they may arrive in either order)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.unclaimed: list[dict[str, Any]] = []

    async def next(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The first frame of `kind` whose data (or the frame itself) has the given fields."""

        def matches(frame: dict[str, Any]) -> bool:
            body = frame.get("data", frame)
            return frame["type"] == kind and all(body.get(key) == value for key, value in fields.items())

        for frame in self.unclaimed:
            if matches(frame):
                self.unclaimed.remove(frame)
                return frame
        async with asyncio.timeout(15):
            while not matches(frame := json.loads(await self.ws.recv())):
                self.unclaimed.append(frame)
        return frame


async def test_commands_through_the_gateway_drive_a_real_trader_and_its_events_stream_back(
    services: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, trader = services
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=15) as http:
        await eventually(
            lambda: alpha_is_live(http), timeout=30, interval=0.1, what="trader alpha live through the gateway"
        )

        ws_url = url.replace("http://", "ws://") + "/ws?bots=alpha&types=status_change,trade_executed"
        async with connect(ws_url, additional_headers=AUTH) as ws:
            frames = Frames(ws)
            snapshot = await frames.next("snapshot")
            assert snapshot["data"]["status"]["status"] == "running"
            await frames.next("subscribed")

            await ws.send(json.dumps({"command": "stop_bot", "request_id": "stop-1"}))  # old form, one bot
            answer = await frames.next("bot_control", request_id="stop-1")
            assert answer["result"]["outcome"] == "completed"
            stopped = await frames.next("status_change", status="stopped")
            assert stopped["data"]["actor"] == "ops"

            started = await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"})
            assert started.status_code == 200, started.text
            assert started.json()["outcome"] == "completed"
            running = await frames.next("status_change", status="running")
            assert running["data"]["actor"] == "ops"

        status = await http.post("/api/v1/bots/alpha/commands", json={"command": "request_status"})
        assert status.json()["outcome"] == "completed"
        assert "alpha is running" in status.json()["message"]
        detail = (await http.get("/api/v1/bots/alpha")).json()
        assert (detail["status"], detail["stale"]) == ("running", False)
        history: list[dict[str, Any]] = []
        after = "0-0"
        last_seq = status.json()["seq"]  # the trader keeps publishing; read up to the status request's result
        while not history or history[-1]["data"]["seq"] < last_seq:
            page = (await http.get("/api/v1/bots/alpha/events", params={"after": after, "limit": 1000})).json()
            assert page["events"], f"history ended before seq {last_seq}"
            history += page["events"]
            after = page["next_after"]
        by_ops = [e["data"]["status"] for e in history if e["type"] == "status_change" and e["data"]["actor"] == "ops"]
        assert by_ops == ["stopped", "running", "running"]  # stop, start, and the status request's restatement
        assert [e["data"]["seq"] for e in history] == list(range(1, len(history) + 1))

        stop_gracefully(trader)
        gone = await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"})
        assert gone.status_code == 503
        assert "no trader is listening" in gone.json()["detail"]

        async def alpha_is_stale() -> bool:
            return bool((await http.get("/api/v1/bots/alpha")).json()["stale"])

        await eventually(alpha_is_stale, timeout=15, interval=0.2, what="alpha marked stale once heartbeats stop")


async def test_the_kill_switch_over_http_halts_a_real_trader(services: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = services
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=15) as http:
        await eventually(
            lambda: alpha_is_live(http), timeout=30, interval=0.1, what="trader alpha live through the gateway"
        )
        answer = await http.post("/api/v1/bots/alpha/commands", json={"command": "halt_bot"})
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert (result["command"], result["outcome"]) == ("halt_bot", "completed")
        assert result["message"].startswith("alpha halted;")
        state = (await http.get("/api/v1/bots/alpha")).json()
        assert state["status"] == "stopped"  # the status change is on the bus before the result
