"""One engine for backtest and paper: a backtest and a paper trader replaying the same candle file on a
real Redis make the same trades, to the last decimal, and the report's trades are the paper bot's."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from tradewire_bus import Topics
from tradewire_schemas import TradeExecuted, decode_event
from tradewire_testing import RedisServer
from tradewire_trader.backtest.backtest_run import run_engine
from tradewire_trader.backtest.candle_file import read_candles, write_candles
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.closed_trade import closed_trades
from tradewire_trader.settings import Settings
from tradewire_trader.synthetic import synthetic_series

pytestmark = pytest.mark.redis

STRATEGY = ["--strategy", "sma_crossover", "--fast", "7", "--slow", "25", "--symbol", "BTC/USDT"]
STRATEGY += ["--stoploss-pct", "0.3"]  # minutes move ~0.1 %: a tight stop fires beside the signal exits
# What differs between two runs of the same trades: identity and wall time, not what happened.
NOT_COMPARED = {"event_id", "ts", "seq", "bot_id"}


def paper_trades(url: str, bot_id: str) -> list[TradeExecuted]:
    client = redis.Redis.from_url(url)
    try:
        events = [decode_event(fields[b"event"]) for _, fields in client.xrange(Topics().bot_stream(bot_id))]
    finally:
        client.close()
    return [e for e in events if isinstance(e, TradeExecuted)]


def test_backtest_and_paper_replay_make_the_same_trades(tmp_path: Path, redis_server: RedisServer) -> None:
    data = write_candles(
        CandleTable.from_candles(itertools.islice(synthetic_series(5, Decimal("42000"), 60), 4000)), tmp_path / "c.csv"
    )
    command = [sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "paper-twin", "--source", "replay"]
    command += ["--replay-file", str(data), "--speed", "0", "--state-file", str(tmp_path / "paper.sqlite3")]
    command += ["--redis-url", redis_server.url, *STRATEGY]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    paper = paper_trades(redis_server.url, "paper-twin")
    assert len(paper) > 20

    settings = Settings(
        bot_id="backtest", strategy="sma_crossover", strategy_params={"fast": "7", "slow": "25"}, symbol="BTC/USDT",
        stoploss_pct=Decimal("0.3"),
    )  # fmt: skip
    fills, _ = asyncio.run(run_engine(settings, read_candles(data)))
    assert len(fills) == len(paper)
    for ours, theirs in zip(fills, paper, strict=True):
        assert ours.model_dump(exclude=NOT_COMPARED) == theirs.model_dump(exclude=NOT_COMPARED)
    assert all(f.market_time is not None for f in fills), "fills carry the candle's time, not wall time"
    assert {f.reason for f in fills if f.side == "sell"} == {"signal", "stoploss"}

    backtest = [sys.executable, "-m", "tradewire_trader", "backtest", "run", "--data", str(data), "--name", "twin"]
    backtest += ["--reports-dir", str(tmp_path), "--param", "fast=7", "--param", "slow=25", "--no-progress"]
    backtest += ["--param", "stoploss_pct=0.3"]
    subprocess.run(backtest, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads((tmp_path / "twin.json").read_text())
    expected = closed_trades(paper)
    assert [(t["exit_ms"], t["profit"], t["amount"], t["reason"]) for t in report["trades"]] == [
        (t.exit_ms, str(t.profit), str(t.amount), t.reason) for t in expected
    ]
    reasons = {row["key"] for row in report["per_exit_reason"]}
    assert reasons == {"signal", "stoploss"}
