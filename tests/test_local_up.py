"""The quick start: `./tw up` brings every service up on one Redis, and Ctrl-C stops all of it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tradewire_bus import RedisBus
from tradewire_schemas import CommandResult, Envelope, StopBot
from tradewire_testing import RedisServer, free_port
from tradewire_testing.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
UP = ROOT / "deploy" / "local" / "up.py"
EMBEDDED = ROOT / "deploy" / "local" / "embedded_redis.py"


def load_up() -> ModuleType:
    return load_script(UP)


def test_a_reachable_redis_url_is_used_as_it_is(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    assert load_up().choose_redis() == (redis_server.url, None)


def test_without_redis_url_a_private_redis_server_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    up = load_up()
    monkeypatch.setattr(up.shutil, "which", lambda name: "/usr/bin/redis-server" if name == "redis-server" else None)
    url, command = up.choose_redis()
    assert command is not None and command[0] == "/usr/bin/redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert url.endswith(f":{command[command.index('--port') + 1]}/0")


def test_without_any_redis_the_embedded_fakeredis_is_chosen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # set, but nothing answers there
    up = load_up()
    monkeypatch.setattr(up.shutil, "which", lambda name: None)
    _, command = up.choose_redis()
    assert command is not None and command[1] == str(EMBEDDED)
    said = capsys.readouterr().out
    assert "does not answer" in said and "for trying things out only" in said


async def test_the_embedded_redis_carries_the_bus() -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(EMBEDDED), "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert "listening" in await asyncio.to_thread(process.stdout.readline)
        async with RedisBus.connect(f"redis://127.0.0.1:{port}/0") as bus:
            from tradewire_testing.factories import trade

            async with bus.subscribe(bots=["alpha"]) as events:
                sent = await bus.publish(trade())
                received = await asyncio.wait_for(anext(events), 5)
            assert isinstance(received, Envelope) and received.event == sent.event
            assert (await bus.snapshot("alpha")).trade == sent.event
    finally:
        process.terminate()
        assert process.wait(10) == 0


async def test_up_brings_every_service_up_and_ctrl_c_stops_them(redis_server: RedisServer, tmp_path: Path) -> None:
    gateway_port, dashboard_port, metrics_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "GATEWAY_PORT": str(gateway_port),
        "DASHBOARD_PORT": str(dashboard_port),
        "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
        "TRADER_STATE_FILE": str(tmp_path / "trader.sqlite3"),
        "TRADER_METRICS_PORT": str(metrics_port),  # up's own default (8003) gives way to the user's
    }
    log = tmp_path / "up.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, str(UP)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        async with RedisBus.connect(redis_server.url) as bus, bus.subscribe(bots=["demo"]) as events:
            async with asyncio.timeout(90):  # the quick start promises a trade within half a minute
                async for item in events:
                    if isinstance(item, Envelope) and item.event.type == "trade_executed":
                        break
            result = await bus.send_command(StopBot(bot_id="demo", actor="quickstart-test"), timeout=10)
        assert isinstance(result, CommandResult) and result.outcome == "completed"
        async with httpx.AsyncClient(timeout=5) as http:
            health = await http.get(f"http://127.0.0.1:{gateway_port}/healthz")
            login = await http.get(f"http://127.0.0.1:{dashboard_port}/accounts/login/")
            metrics = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert 'tradewire_trader_commands_total{bot="demo",command="stop_bot",outcome="completed"} 1.0' in metrics.text
        assert health.status_code == 200
        assert login.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = await asyncio.to_thread(process.wait, 30)
    said = log.read_text()
    assert f"Redis: using REDIS_URL={redis_server.url}" in said
    assert "log in as" in said  # the dashboard printed the demo user's credentials
    assert code == 0, said[-3000:]
