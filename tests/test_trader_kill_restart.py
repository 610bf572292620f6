"""kill -9 the real trader process mid-trading, restart it: no trade lost, none published twice, seq continues."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_testing import RedisServer, eventually_sync
from tradewire_testing.streams import stream_events

pytestmark = pytest.mark.redis


def ledger(path: Path) -> list[TradeExecuted]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT event FROM trades ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # the trader is still creating its tables
            return []
    return [TradeExecuted.model_validate_json(row[0]) for row in rows]


def start_trader(url: str, state: Path) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "tradewire_trader",
        "run",
        "--bot-id",
        "crashy",
        "--speed",
        "60000",
        "--state-file",
        str(state),
        "--redis-url",
        url,
        "--heartbeat-s",
        "0.5",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())


def test_kill_9_and_restart_loses_no_trade_publishes_none_twice_and_seq_continues(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    state = tmp_path / "crashy.sqlite3"
    for round_ in range(3):
        process = start_trader(redis_server.url, state)
        try:
            before = len(ledger(state))
            eventually_sync(lambda n=before: len(ledger(state)) >= n + 8, timeout=30, what=f"trades in round {round_}")
        finally:
            process.kill()  # SIGKILL: no cleanup, no final status
            process.wait(timeout=10)
    process = start_trader(redis_server.url, state)
    before = len(ledger(state))
    eventually_sync(lambda: len(ledger(state)) >= before + 8, timeout=30, what="trades after the last restart")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr.decode()[-2000:]

    events = stream_events(redis_server.url, "crashy")
    trades = [e for e in events if isinstance(e, TradeExecuted)]
    assert [t.event_id for t in trades] == [t.event_id for t in ledger(state)], "every trade, once, in order"
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1)), "seq grows by one across restarts, never repeats"
    statuses = [(e.status, e.reason) for e in events if isinstance(e, StatusChanged)]
    assert statuses[0] == ("running", "started")
    assert [s for s in statuses[1:4] if s[1].startswith("restarted after an unclean exit")] == statuses[1:4]
    assert statuses[-1] == ("stopped", "received SIGTERM")
