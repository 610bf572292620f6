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


async def test_several_symbols_download_into_one_file_each(tmp_path: Path) -> None:
    stub = BinanceStub()
    await stub.start()
    try:
        now = int(time.time() * 1000) // MINUTE * MINUTE
        out = await download(
            stub, tmp_path, "--symbol", "BTC/USDT,ETH/USDT", "--start", iso(now - 300 * MINUTE), "--end", iso(now)
        )
    finally:
        await stub.stop()
    btc, eth = (read_candles(tmp_path / "binance" / f"{pair}-1m.feather") for pair in ("BTC_USDT", "ETH_USDT"))
    assert "BTC_USDT-1m.feather: 300 candles" in out and "ETH_USDT-1m.feather: 300 candles" in out
    assert np.array_equal(btc.timestamp_ms, eth.timestamp_ms) and btc.close[0] != eth.close[0]


async def test_the_stub_refuses_klines_as_binance_does() -> None:
    import aiohttp

    stub = BinanceStub()
    await stub.start()
    try:
        async with aiohttp.ClientSession() as session:
            for query, code in (({"interval": "7m"}, -1120), ({"interval": "1m", "limit": "1001"}, -1130)):
                params = {"symbol": "BTCUSDT", "startTime": "0", **query}
                async with session.get(f"{stub.url}/api/v3/klines", params=params) as response:
                    assert response.status == 400
                    assert (await response.json())["code"] == code
            params = {"symbol": "BTCUSDT", "interval": "1h", "startTime": "0", "limit": "3"}
            async with session.get(f"{stub.url}/api/v3/klines", params=params) as response:
                rows = await response.json()
        assert len(rows) == 3 and all(len(row) == 12 for row in rows)
        assert [r[0] for r in rows] == [rows[0][0] + i * 3_600_000 for i in range(3)]
        assert rows[0][6] == rows[0][0] + 3_599_999 and isinstance(rows[0][1], str)  # closeTime; prices as text
    finally:
        await stub.stop()
