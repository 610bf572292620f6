"""`./tw up --cluster`: every service on a local Redis Cluster of six nodes, and Ctrl-C stops all of it."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tradewire_bus import RedisBus
from tradewire_schemas import CommandResult, Envelope, StopBot
from tradewire_testing import eventually, free_port

ROOT = Path(__file__).resolve().parents[1]
TW = ROOT / "tw"
STOPPED = re.compile(r"^up\s*\| ([\w-]+): stopped, exit 0", re.MULTILINE)


def six_free_ports() -> int:
    """A base port with it and the next five free, and their cluster bus ports (+1000), below the
    kernel's ephemeral range (32768 and up), where any outgoing connection may take one meanwhile."""
    for _ in range(200):
        base = random.randint(20_000, 31_000)
        ports = [base + n for n in range(6)] + [base + 1000 + n for n in range(6)]
        if all(_free(port) for port in ports):
            return base
    raise LookupError("no six consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def test_up_cluster_runs_every_service_on_a_local_redis_cluster(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("needs redis-server and redis-cli") if not os.environ.get("CI") else pytest.fail("CI must")
    base = six_free_ports()
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"} | {
        "TRADEWIRE_REDIS_PORT": str(base),
        "GATEWAY_PORT": str(free_port()),
        "DASHBOARD_PORT": str(free_port()),
        "DASHBOARD_RECORDER_PORT": str(free_port()),
        "TRADER_METRICS_PORT": str(free_port()),
        "TRADEWIRE_VAR_DIR": str(tmp_path / "var"),
        "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
        "TRADER_STATE_FILE": str(tmp_path / "trader.sqlite3"),
        "NO_COLOR": "1",
    }
    log = tmp_path / "up.log"
    with log.open("w") as output:
        up = subprocess.Popen(
            [str(TW), "up", "--cluster"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        said = await eventually(
            lambda: ("ready in" in log.read_text() or up.poll() is not None) and log.read_text(),
            timeout=100,
            interval=0.2,
            what="up is ready",
        )
        assert up.poll() is None, said[-3000:]
        url = (tmp_path / "var" / "redis-url").read_text().strip()
        assert url == f"redis://127.0.0.1:{base}/0"
        async with RedisBus.connect(url) as bus, bus.subscribe(bots=["demo"]) as events:
            assert bus.sharded
            async with asyncio.timeout(90):
                async for item in events:
                    if isinstance(item, Envelope) and item.event.type == "trade_executed":
                        break
            # ./tw watch follows the cluster too (through the bus: no pattern hears SPUBLISHed events).
            watch = subprocess.Popen(
                [str(TW), "watch", "--type", "trade_executed"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True,
            )  # fmt: skip
            try:
                assert watch.stdout is not None
                line = await asyncio.wait_for(asyncio.to_thread(watch.stdout.readline), 90)
                envelope = json.loads(line)
                assert envelope["event"]["type"] == "trade_executed" and envelope["event"]["bot_id"] == "demo"
            finally:
                os.killpg(watch.pid, signal.SIGINT)
                assert await asyncio.to_thread(watch.wait, 20) == 0
            result = await bus.send_command(StopBot(bot_id="demo", actor="cluster-up-test"), timeout=10)
        assert isinstance(result, CommandResult) and result.outcome == "completed"
    finally:
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = await asyncio.to_thread(up.wait, 60)
    said = log.read_text()
    assert code == 0, said[-3000:]
    assert "Redis Cluster: joining ports" in said
    stopped = STOPPED.findall(said)
    assert sorted(stopped[4:]) == [f"redis-{n}" for n in range(1, 7)], said[-3000:]
