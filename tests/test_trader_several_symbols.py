"""A paper bot trading three symbols from one wallet on a real Redis, killed with -9 and restarted: every
symbol's trades continue from its own books, none lost or published twice; the bus snapshot knows the
markets and their precision."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from tradewire_bus import Topics
from tradewire_schemas import MarketsLoaded, StatsUpdated, TradeExecuted, decode_event
from tradewire_testing import RedisServer, eventually_sync
from tradewire_testing.streams import stream_events

pytestmark = pytest.mark.redis
SYMBOLS = ["BTC/USDT", "ETH/USDT", "DOGE/USDT"]


def start_trader(url: str, state: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "trio", "--speed", "30000"]
    args += ["--symbols", ",".join(SYMBOLS), "--stake-quote", "300", "--fast", "2", "--slow", "3"]
    args += ["--state-file", str(state), "--redis-url", url, "--heartbeat-s", "0.5", "--stats-every-s", "0.2"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())


def trades(url: str) -> list[TradeExecuted]:
    return [e for e in stream_events(url, "trio") if isinstance(e, TradeExecuted)]


def sells_per_symbol(url: str) -> dict[str, int]:
    found = trades(url)
    return {s: sum(t.symbol == s and t.side == "sell" for t in found) for s in SYMBOLS}


def test_three_symbols_trade_from_one_wallet_across_a_kill_9(tmp_path: Path, redis_server: RedisServer) -> None:
    state, url = tmp_path / "trio.sqlite3", redis_server.url
    process = start_trader(url, state)
    try:
        eventually_sync(lambda: min(sells_per_symbol(url).values()) >= 2, timeout=40, what="sells in every symbol")
    finally:
        process.kill()  # SIGKILL: no cleanup, no final status
        process.wait(timeout=10)
    before = len(trades(url))
    process = start_trader(url, state)
    eventually_sync(lambda: len(trades(url)) >= before + 12, timeout=40, what="trades after the restart")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr.decode()[-2000:]

    found = trades(url)
    assert len({t.event_id for t in found}) == len(found), "no trade published twice"
    for symbol in SYMBOLS:
        base, held = symbol.split("/")[0], Decimal(0)
        for trade in (t for t in found if t.symbol == symbol):  # each symbol's position, fill by fill
            held += trade.amount if trade.side == "buy" else -trade.amount
            assert trade.position == held == trade.balances.get(base, Decimal(0)), f"{symbol} books continue"
    doge = [t for t in found if t.symbol == "DOGE/USDT"]
    assert all(t.amount == t.amount.to_integral_value() for t in doge), "DOGE trades in whole coins (its lot)"

    client = redis.Redis.from_url(url)
    try:
        state_hash = client.hgetall(Topics().bot_state("trio"))
    finally:
        client.close()
    markets = decode_event(state_hash[b"markets"])
    assert isinstance(markets, MarketsLoaded)
    assert [(m.symbol, m.amount_step) for m in markets.markets] == [
        ("BTC/USDT", Decimal("0.00001")), ("ETH/USDT", Decimal("0.0001")), ("DOGE/USDT", Decimal(1)),
    ]  # fmt: skip
    stats = decode_event(state_hash[b"stats"])
    assert isinstance(stats, StatsUpdated) and stats.symbols is not None
    assert [share.symbol for share in stats.symbols] == SYMBOLS
