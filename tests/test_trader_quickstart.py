"""The quick-start promise: `python -m tradewire_trader run` with no flags brings the demo bot alive fast,
and a second trader with another bot id runs beside it on the same bus."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_testing import RedisServer, eventually_sync
from tradewire_testing.processes import service_environment
from tradewire_testing.streams import stream_events

pytestmark = pytest.mark.redis


def test_the_default_trader_trades_within_half_a_minute_beside_another_bot(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    env = service_environment(redis_server.url)
    demo = subprocess.Popen(
        [sys.executable, "-m", "tradewire_trader", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    beta = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradewire_trader",
            "run",
            "--bot-id",
            "beta",
            "--strategy",
            "rsi_reversion",
            "--symbol",
            "ETH/USDT",
            "--start-price",
            "3000",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually_sync(
            lambda: any(isinstance(e, TradeExecuted) for e in stream_events(redis_server.url, "demo")),
            timeout=30,
            interval=0.2,
            what="a demo trade within half a minute",
        )
        eventually_sync(lambda: len(stream_events(redis_server.url, "beta")) > 3, timeout=10, what="beta publishing")
    finally:
        for process in (demo, beta):
            process.send_signal(signal.SIGTERM)
        output, _ = demo.communicate(timeout=20)
        beta.wait(timeout=20)
    assert demo.returncode == 0 and beta.returncode == 0
    demo_events = stream_events(redis_server.url, "demo")
    statuses = [(e.status, e.reason) for e in demo_events if isinstance(e, StatusChanged)]
    assert statuses[0] == ("running", "started") and statuses[-1] == ("stopped", "received SIGTERM")
    trade = next(e for e in demo_events if isinstance(e, TradeExecuted))
    assert (trade.bot_id, trade.symbol, trade.mode) == ("demo", "BTC/USDT", "paper")
    assert {e.bot_id for e in stream_events(redis_server.url, "beta")} == {"beta"}
    log = output.decode()
    assert "status running: started" in log and f"{trade.side} {trade.amount} BTC at {trade.price}" in log
    assert (tmp_path / "trader-state" / "demo.sqlite3").exists()
