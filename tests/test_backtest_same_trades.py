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
from tradewire_schemas import MarketsLoaded, TradeExecuted, decode_event
from tradewire_testing import RedisServer
from tradewire_trader.backtest.backtest_run import run_engine
from tradewire_trader.backtest.candle_file import read_candles, write_candles
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.closed_trade import closed_trades
from tradewire_trader.multi_market import symbol_candles
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


def test_two_symbols_backtest_and_paper_replay_make_the_same_trades(tmp_path: Path, redis_server: RedisServer) -> None:
    symbols = ["BTC/USDT", "ETH/USDT"]
    for position, symbol in enumerate(symbols):  # each symbol its own seeded series, in Freqtrade's file naming
        series = itertools.islice(symbol_candles(5, symbol, position, Decimal("42000"), 60), 3000)
        write_candles(CandleTable.from_candles(series), tmp_path / f"{symbol.replace('/', '_')}-1m.csv")
    pattern = str(tmp_path / "{pair}-1m.csv")
    two = ["--strategy", "sma_crossover", "--fast", "7", "--slow", "25", "--stake-quote", "500"]
    command = [sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "paper-pair", "--source", "replay"]
    command += ["--symbols", ",".join(symbols), "--replay-file", pattern, "--speed", "0", "--price-every", "1"]
    command += ["--state-file", str(tmp_path / "paper.sqlite3"), "--redis-url", redis_server.url, *two]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    client = redis.Redis.from_url(redis_server.url)
    try:
        events = [decode_event(f[b"event"]) for _, f in client.xrange(Topics().bot_stream("paper-pair"))]
    finally:
        client.close()
    paper = [e for e in events if isinstance(e, TradeExecuted)]
    assert {t.symbol for t in paper} == set(symbols) and len(paper) > 20
    (markets,) = [e for e in events if isinstance(e, MarketsLoaded)][-1:]
    assert [m.symbol for m in markets.markets] == symbols

    settings = Settings(
        bot_id="backtest", strategy="sma_crossover", strategy_params={"fast": "7", "slow": "25"},
        symbols=",".join(symbols), stake_quote=Decimal(500),
    )  # fmt: skip
    tables = {s: read_candles(Path(pattern.replace("{pair}", s.replace("/", "_")))) for s in symbols}
    fills, _ = asyncio.run(run_engine(settings, tables))
    assert len(fills) == len(paper)
    for ours, theirs in zip(fills, paper, strict=True):
        assert ours.model_dump(exclude=NOT_COMPARED) == theirs.model_dump(exclude=NOT_COMPARED)

    backtest = [sys.executable, "-m", "tradewire_trader", "backtest", "run", "--data", pattern, "--name", "pair"]
    backtest += ["--symbols", ",".join(symbols), "--reports-dir", str(tmp_path), "--no-progress"]
    backtest += ["--param", "fast=7", "--param", "slow=25", "--param", "stake_quote=500"]
    subprocess.run(backtest, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads((tmp_path / "pair.json").read_text())
    assert report["run"]["symbols"] == symbols
    expected = closed_trades(paper)
    assert [(t["symbol"], t["exit_ms"], t["profit"]) for t in report["trades"]] == [
        (t.symbol, t.exit_ms, str(t.profit)) for t in expected
    ]
    assert {row["key"] for row in report["per_symbol"]} == set(symbols)
