"""The quick start: `./tw up` brings every service up on one Redis, and Ctrl-C stops all of it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tradewire_bus import RedisBus
from tradewire_bus.topics import Topics
from tradewire_schemas import CommandResult, Envelope, StopBot
from tradewire_testing import RedisServer, eventually, free_port
from tradewire_testing.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
UP = ROOT / "deploy" / "local" / "up.py"
EMBEDDED = ROOT / "deploy" / "local" / "embedded_redis.py"
TW = ROOT / "tw"


def load_up() -> ModuleType:
    return load_script(UP)


def test_a_reachable_redis_url_is_used_as_it_is(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    assert load_up().choose_redis() == (redis_server.url, None)


@pytest.fixture
def private_redis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    """up's private Redis on a port of the test's own, its record and data under tmp_path."""
    port = free_port()
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TRADEWIRE_REDIS_PORT", str(port))
    monkeypatch.setenv("TRADEWIRE_VAR_DIR", str(tmp_path / "var"))
    return port


def test_without_redis_url_a_private_redis_server_is_started_on_the_fixed_port(
    private_redis: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    up = load_up()
    monkeypatch.setattr(up.shutil, "which", lambda name: "/usr/bin/redis-server" if name == "redis-server" else None)
    url, command = up.choose_redis()
    assert command is not None and command[0] == "/usr/bin/redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--port") + 1] == str(private_redis)
    assert url == f"redis://127.0.0.1:{private_redis}/0"


def test_the_private_port_taken_by_a_stranger_is_a_clear_error(
    private_redis: int, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEWIRE_REDIS_PORT", str(redis_server.port))  # someone else's Redis is there
    with pytest.raises(SystemExit, match=f"port {redis_server.port}.*is taken by another program"):
        load_up().choose_redis()


def test_a_bad_private_port_is_a_clear_error(private_redis: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIRE_REDIS_PORT", "sixty")
    with pytest.raises(SystemExit, match="TRADEWIRE_REDIS_PORT must be a port number"):
        load_up().choose_redis()


def test_arguments_for_the_trader_must_follow_a_double_dash(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        load_up().main(["--strategy", "rsi_reversion"])
    assert ended.value.code == 2
    assert "unrecognized arguments: --strategy" in capsys.readouterr().err


def test_the_notifier_runs_only_when_destinations_are_configured_and_says_how_otherwise(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    up = load_up()
    monkeypatch.delenv("NOTIFIER_DESTINATIONS", raising=False)
    assert "notifier" not in up.service_commands([])
    assert "notifier: off; to turn it on, set NOTIFIER_DESTINATIONS" in capsys.readouterr().out
    monkeypatch.setenv("NOTIFIER_DESTINATIONS", '[{"kind": "slack", "name": "s", "url": "http://127.0.0.1:9/x"}]')
    commands = up.service_commands([])
    assert commands["notifier"][-2:] == ["-m", "tradewire_notifier"]
    monkeypatch.setenv("NOTIFIER_METRICS_PORT", "18004")
    assert up.Endpoint("notifier metrics", "http://127.0.0.1:18004/metrics") in up.endpoints({"notifier"}, [])


def test_without_any_redis_the_embedded_fakeredis_is_chosen(
    private_redis: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
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
    gateway_port, dashboard_port, metrics_port, recorder_port = free_port(), free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "GATEWAY_PORT": str(gateway_port),
        "DASHBOARD_PORT": str(dashboard_port),
        "DASHBOARD_RECORDER_PORT": str(recorder_port),
        "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
        "TRADER_STATE_FILE": str(tmp_path / "trader.sqlite3"),
        "TRADER_METRICS_PORT": str(metrics_port),  # up's own default (8003) gives way to the user's
        "TRADEWIRE_VAR_DIR": str(tmp_path / "var"),  # where up records its Redis: not the checkout's
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

            async def recorder_recorded() -> bool:
                answer = await http.get(f"http://127.0.0.1:{recorder_port}/metrics")
                return "tradewire_recorder_recorded_total 0.0" not in answer.text and answer.status_code == 200

            await eventually(recorder_recorded, timeout=30, interval=0.2, what="the recorder stored the trade")
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


def _tw_env(tmp_path: Path, **settings: int) -> dict[str, str]:
    """The environment of a user with no REDIS_URL, on a machine whose 6379 belongs to someone else."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    return env | {
        "TRADEWIRE_VAR_DIR": str(tmp_path / "var"),
        "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
        "TRADER_STATE_FILE": str(tmp_path / "trader.sqlite3"),
        "NO_COLOR": "1",
        **{name: str(value) for name, value in settings.items()},
    }


def occupy_default_redis_port() -> socket.socket | None:
    """6379 taken, as on a machine with its own Redis: held by a listener here when nothing holds it."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 6379))
    except OSError:  # someone else's already: exactly the case
        listener.close()
        return None
    listener.listen()
    return listener


PRINTED_URL = re.compile(r"^up\s*\|\s{3}(\S.*?)\s{2,}(http://\S+)$", re.MULTILINE)
STOPPED = re.compile(r"^up\s*\| (\w+): stopped, exit 0", re.MULTILINE)


async def test_up_prints_the_urls_it_serves_and_watch_follows_its_private_redis(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server") if not os.environ.get("CI") else pytest.fail("CI must install redis-server")
    ports = {
        name: free_port()
        for name in ("TRADEWIRE_REDIS_PORT", "GATEWAY_PORT", "DASHBOARD_PORT", "DASHBOARD_RECORDER_PORT")
    }
    ports["TRADER_METRICS_PORT"] = free_port()
    env = _tw_env(tmp_path, **ports)
    stranger = occupy_default_redis_port()
    log = tmp_path / "up.log"
    with log.open("w") as output:
        up = subprocess.Popen(
            [str(TW), "up"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        said = await eventually(lambda: "ready in" in log.read_text() and log.read_text(), timeout=150, interval=0.2)
        printed = dict(PRINTED_URL.findall(said))
        assert set(printed) == {
            "dashboard",
            "dashboard metrics",
            "gateway API docs",
            "gateway metrics",
            "recorder metrics",
            "trader metrics",
        }
        assert f":{ports['DASHBOARD_PORT']}/" in printed["dashboard"]
        assert f":{ports['GATEWAY_PORT']}/" in printed["gateway API docs"]
        assert f":{ports['TRADER_METRICS_PORT']}/" in printed["trader metrics"]
        async with httpx.AsyncClient(timeout=10, follow_redirects=True) as http:
            for url in printed.values():
                assert (await http.get(url)).status_code == 200, url

        recorded = (tmp_path / "var" / "redis-url").read_text().strip()
        assert recorded == f"redis://127.0.0.1:{ports['TRADEWIRE_REDIS_PORT']}/0"
        watch = subprocess.Popen(
            [str(TW), "watch", "--type", "trade_executed"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            assert watch.stdout is not None
            line = await asyncio.wait_for(asyncio.to_thread(watch.stdout.readline), 90)
            envelope = json.loads(line)  # plain JSON, one event per line, no redis-cli escaping
            assert envelope["event"]["type"] == "trade_executed" and envelope["event"]["bot_id"] == "demo"
        finally:
            os.killpg(watch.pid, signal.SIGINT)
            assert await asyncio.to_thread(watch.wait, 20) == 0
        if shutil.which("redis-cli"):
            stream = Topics().bot_stream("demo")
            counted = subprocess.run([str(TW), "redis-cli", "xlen", stream], env=env, capture_output=True, text=True)
            assert int(counted.stdout) > 0, counted
    finally:
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = await asyncio.to_thread(up.wait, 60)
        if stranger is not None:
            stranger.close()
    said = log.read_text()
    assert code == 0, said[-3000:]
    stopped = STOPPED.findall(said)
    assert sorted(stopped[:4]) == ["dashboard", "gateway", "recorder", "trader"], said[-3000:]
    assert stopped[4:] == ["redis"], said[-3000:]
    assert "interrupted" not in said
