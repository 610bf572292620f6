"""Market data sources behind one interface: seeded synthetic candles (synthetic.py) and OHLCV CSV replay.

Live polling through ccxt lives in `live_market.py`. Every source yields candles from a given index,
so a restarted trader resumes where its state file says it stopped instead of trading old candles again.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Protocol

import pandas as pd

from tradewire_trader.candles import Candle

SAMPLE_CSV = "btc_usdt_1m_sample.csv"


class MarketData(Protocol):
    def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        """Candles in time order, skipping the first `start` (already processed before a restart)."""
        ...

    def history(self) -> pd.DataFrame | None:
        """Every candle this source will yield, as floats, when known up front (replays, backtests); None
        for endless or live sources. Indicators are then computed once over it (strategies/feed.py)."""
        ...


def read_ohlcv_csv(path: Path) -> Iterator[Candle]:
    """Rows `timestamp,open,high,low,close,volume` (a header line is optional), timestamp in ms."""
    exact, candle = Decimal, Candle
    with path.open(newline="") as handle:
        for line_number, line in enumerate(handle, start=1):
            # The common row, split by hand and parsed without ceremony (replay speed matters: the csv
            # module and a header check per row were a tenth of a replay's CPU). Anything else (a header,
            # quotes, blanks, a bad row) goes through the csv module as before.
            parts = line.split(",")
            parsed = None
            if len(parts) == 6:
                try:  # not contextlib.suppress: a context manager per row costs more than the parsing saves
                    parsed = candle(int(parts[0]), exact(parts[1]), exact(parts[2]), exact(parts[3]),
                                    exact(parts[4]), exact(parts[5]))  # fmt: skip
                except (ValueError, ArithmeticError):
                    parsed = None
            if parsed is not None:
                yield parsed
                continue
            for row in csv.reader([line]):
                yield from _slow_row(path, line_number, row)


def _slow_row(path: Path, line_number: int, row: list[str]) -> Iterator[Candle]:
    if not row or row[0].strip().lower() in {"timestamp", "time", "date"}:
        return
    try:
        yield Candle.from_ohlcv(row)
    except (ValueError, ArithmeticError, IndexError) as error:
        raise ValueError(f"{path}:{line_number}: not an OHLCV row ({error}): {row!r}") from None


def sample_csv() -> Path:
    return Path(str(resources.files("tradewire_trader") / "fixtures" / SAMPLE_CSV))


class Pacer:
    """Spaces candles in wall time: `speed` market seconds per wall second, 0 = as fast as possible."""

    def __init__(self, speed: float, candle_seconds: int) -> None:
        self.interval = candle_seconds / speed if speed > 0 else 0.0
        self._due = time.monotonic()

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        self._due += self.interval
        delay = self._due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self._due = time.monotonic()  # fell behind (e.g. paused): do not burst to catch up


class SyntheticMarket:
    """Synthetic candles (`synthetic_series`, or one symbol's of several: `multi_market.symbol_candles`), paced."""

    def __init__(self, series: Iterator[Candle], pacer: Pacer) -> None:
        self._series, self._pacer = series, pacer

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        for _ in range(start):
            next(self._series)
        for candle in self._series:
            await self._pacer.wait()
            yield candle

    def history(self) -> pd.DataFrame | None:
        return None  # endless


class CsvReplay:
    def __init__(self, path: Path, pacer: Pacer) -> None:
        self._path = path
        self._pacer = pacer

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        paced = self._pacer.interval > 0  # as fast as possible: no wait to await per candle
        for index, candle in enumerate(read_ohlcv_csv(self._path)):
            if index < start:
                continue
            if paced:
                await self._pacer.wait()
            yield candle

    def history(self) -> pd.DataFrame | None:
        return read_ohlcv_frame(self._path)


def read_ohlcv_frame(path: Path) -> pd.DataFrame | None:
    """The CSV as a float frame indexed by time, or None when pandas cannot read it cleanly: the candle
    reader then meets the bad row and names its line (and the strategy works on a rolling window)."""
    with path.open() as handle:
        first = handle.readline().split(",")[0].strip()
    try:  # numbers straight to float64 in pandas' C parser: no strings in between (10x faster on 100k rows)
        frame = pd.read_csv(
            path, header=None, skiprows=0 if first.isdigit() else 1, dtype="float64",
            names=["timestamp", "open", "high", "low", "close", "volume"],
        )  # fmt: skip
    except (ValueError, TypeError, pd.errors.ParserError):
        return None
    frame.index = pd.to_datetime(frame.pop("timestamp").astype("int64"), unit="ms", utc=True)
    return frame
