"""Smoke tests of the fault drills' harness (bench/drills/): how a watcher reads frames, how its
trades are judged against the ledger, and one short real drill end to end."""

from __future__ import annotations

import asyncio
import json

import pytest

from bench.drills import catalogue as drills
from bench.drills.watchers import Watcher, check, recovery_s


class Via:
    def __init__(self, name: str) -> None:
        self.name = name


def trade_frame(kind: str, event_id: str, offset: str, ts: str = "2026-01-01T00:00:00Z") -> str:
    data = {"event_id": event_id, "ts": ts, "order_id": "x"}
    return json.dumps({"type": kind, "bot_id": "drill", "offset": offset, "data": data})


def test_a_gateway_watcher_takes_its_baseline_from_the_snapshot_and_resumes_after_the_last_offset() -> None:
    watcher = Watcher("g", Via("gateway"))
    snapshot = {"type": "snapshot", "bot_id": "drill", "offset": "5-0", "data": {"trade": {"event_id": "t1"}}}
    watcher.take(json.dumps(snapshot), 0.0)
    watcher.take(trade_frame("trade_executed", "t2", "6-0"), 1.0)
    watcher.take(json.dumps({"type": "resync", "bot_id": None, "reason": "epoch"}), 2.0)
    assert (watcher.baseline, watcher.trades, watcher.offsets, watcher.resyncs) == ("t1", ["t2"], {"drill": "6-0"}, 1)


def test_a_dashboard_watcher_reads_status_and_trade_messages() -> None:
    watcher = Watcher("d", Via("dashboard"))
    status = {"type": "status", "bot_id": "drill", "offset": "5-0", "data": {"last_trade": None}}
    watcher.take(json.dumps(status), 0.0)
    watcher.take(trade_frame("trade", "t1", "6-0"), 1.0)
    assert (watcher.baseline, watcher.trades, watcher.offsets) == (None, ["t1"], {"drill": "6-0"})


def test_check_counts_lost_duplicated_and_out_of_order_trades_after_the_baseline() -> None:
    watcher = Watcher("w", Via("gateway"))
    watcher.baseline = "a"
    watcher.trades = ["b", "d", "c", "d", "zzz"]
    result = check(watcher, ["a", "b", "c", "d", "e"])
    counts = (result.expected, result.delivered, result.lost, result.duplicated, result.out_of_order, result.unknown)
    assert counts == (4, 3, 1, 1, 1, 1)
    assert result.first_lost == ["e"]


def test_recovery_is_the_time_until_every_watcher_holds_a_trade_made_after_the_fault() -> None:
    quick, late = Watcher("q", Via("gateway")), Watcher("l", Via("gateway"))
    quick.trade_ts, quick.arrivals = [9.0, 10.5], [9.1, 10.6]
    late.trade_ts, late.arrivals = [9.0, 10.5], [9.1, 13.0]
    assert recovery_s([quick, late], since=10.0) == pytest.approx(3.0)
    assert recovery_s([quick, Watcher("none", Via("gateway"))], since=10.0) is None


@pytest.mark.redis
def test_a_short_gateway_restart_drill_finds_every_trade_at_every_client() -> None:
    args = drills.parse_args(["--quick", "--offline-s", "1", "--storm", "10"])
    args.warm_s, args.after_s, args.slow_s, args.down_s, args.drill_timeout_s = 1.0, 1.0, 2.0, 1.0, 60.0
    drill = next(d for d in drills.DRILLS if d.name == "gateway-restart")
    result = asyncio.run(drills.run(drill, args))
    assert result.verdict == "passed", result.notes
    assert result.sent > 0 and result.watchers == 5  # four clients and the recorder
    assert result.delivered == result.expected > 0
    assert result.recovery_s is not None
