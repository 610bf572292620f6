"""`tradewire-trader download` against the local Binance-format stub: ccxt's fetch_ohlcv page by page,
a failing request retried, candles stored in Freqtrade's layout, a second run extending the file."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tradewire_testing.binance_stub import BinanceStub, Fault
from tradewire_trader.backtest.candle_file import read_candles

MINUTE = 60_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


async def download(stub: BinanceStub, folder: Path, *flags: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradewire_trader", "download", "--api-url", stub.url, "--data-dir", str(folder),
        "--symbol", "BTC/USDT", "--timeframe", "1m", *flags,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def test_download_pages_through_klines_and_extends_the_file(tmp_path: Path) -> None:
    stub = BinanceStub()
    await stub.start()
    try:
        now = int(time.time() * 1000) // MINUTE * MINUTE
        start, end = now - 2500 * MINUTE, now - 100 * MINUTE
        stub.fail("GET /api/v3/klines", Fault.unavailable())  # the first page fails once: retried
        out = await download(stub, tmp_path, "--start", iso(start), "--end", iso(end))
        path = tmp_path / "binance" / "BTC_USDT-1m.feather"
        assert f"{path}: 2,400 candles" in out
        table = read_candles(path)
        table.check(MINUTE)  # no gap where pages meet
        assert table.timestamp_ms[0] == start and table.timestamp_ms[-1] == end - MINUTE
        known = {c.timestamp_ms: c for c in stub.history.candles("BTCUSDT", MINUTE, stub.account.prices["BTCUSDT"])}
        first, last = known[start], known[end - MINUTE]
        assert (table.open[0], table.close[-1]) == (float(first.open), float(last.close))
        assert stub.count("GET /api/v3/klines") == 4  # 1000 + 1000 + 400, plus the retried failure

        await download(stub, tmp_path, "--end", iso(now))  # no --start: from the file's end
        extended = read_candles(path)
        extended.check(MINUTE)
        assert len(extended) == 2500 and extended.timestamp_ms[-1] == now - MINUTE
        assert np.array_equal(extended.close[:2400], table.close)
    finally:
        await stub.stop()
