"""Candles as columns (numpy arrays): what a data file holds, checked before a backtest trusts it.

The engine reads `Candle` objects with exact decimals; a year of one-minute candles is 525,600 rows,
so files are read into columns first (fast, vectorised checks) and turned into candles once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import ccxt  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from tradewire_trader.candles import Candle

COLUMNS = ("date", "open", "high", "low", "close", "volume")  # Freqtrade's names; ccxt's row order

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class BadCandleData(ValueError):
    """A data file that cannot be backtested as it is: the message names the file, the row and what is wrong."""


def timeframe_ms(timeframe: str) -> int:
    """'1m', '5m', '1h', '1d' (ccxt's notation) in milliseconds."""
    try:
        return int(ccxt.Exchange.parse_timeframe(timeframe)) * 1000
    except Exception as error:  # ccxt raises NotSupported or a bare ValueError/KeyError
        raise ValueError(f"unknown timeframe {timeframe!r} (use ccxt's notation: 1m, 5m, 15m, 1h, 4h, 1d)") from error


def iso(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class CandleTable:
    timestamp_ms: Ints  # opening time of each candle
    open: Floats
    high: Floats
    low: Floats
    close: Floats
    volume: Floats
    source: str = "memory"  # a file name, for error messages and the report
    first_row: int = 1  # the row (line, for CSV) in the source that holds the first candle
    row_label: str = "row"  # "line" for text files

    def __len__(self) -> int:
        return len(self.timestamp_ms)

    @classmethod
    def from_columns(
        cls,
        timestamp_ms: Ints,
        prices: list[Floats],
        source: str = "memory",
        first_row: int = 1,
        row_label: str = "row",
    ) -> CandleTable:
        """From the timestamps and [open, high, low, close, volume]."""
        o, h, lo, c, v = prices
        return cls(timestamp_ms, o, h, lo, c, v, source=source, first_row=first_row, row_label=row_label)

    @classmethod
    def from_candles(cls, candles: Iterable[Candle], source: str = "memory") -> CandleTable:
        rows = [(c.timestamp_ms, c.open, c.high, c.low, c.close, c.volume) for c in candles]
        columns = list(zip(*rows, strict=True)) if rows else [()] * 6
        prices = [np.array([float(v) for v in column], dtype=np.float64) for column in columns[1:]]
        return cls.from_columns(np.array(columns[0], dtype=np.int64), prices, source)

    def between(self, start_ms: int | None, end_ms: int | None) -> CandleTable:
        """Candles opening in [start, end): the date range a backtest asked for."""
        lo = 0 if start_ms is None else int(np.searchsorted(self.timestamp_ms, start_ms, "left"))
        hi = len(self) if end_ms is None else int(np.searchsorted(self.timestamp_ms, end_ms, "left"))
        return self.rows(lo, hi)

    def rows(self, lo: int, hi: int) -> CandleTable:
        return CandleTable(
            self.timestamp_ms[lo:hi],
            self.open[lo:hi],
            self.high[lo:hi],
            self.low[lo:hi],
            self.close[lo:hi],
            self.volume[lo:hi],
            source=self.source,
            first_row=self.first_row + lo,
            row_label=self.row_label,
        )

    def candles(self) -> list[Candle]:
        """Exact decimals for the engine: each float's shortest repr, so 42000.1 stays 42000.1."""
        to_decimal = Decimal
        columns = [column.tolist() for column in (self.open, self.high, self.low, self.close, self.volume)]
        return [
            Candle(
                ts,
                to_decimal(repr(o)),
                to_decimal(repr(h)),
                to_decimal(repr(lo)),
                to_decimal(repr(c)),
                to_decimal(repr(v)),
            )
            for ts, o, h, lo, c, v in zip(self.timestamp_ms.tolist(), *columns, strict=True)
        ]

    def check(self, step_ms: int) -> None:
        """Raise BadCandleData at the first row that is not a candle or breaks the series (gap, order)."""
        prices = np.vstack([self.open, self.high, self.low, self.close, self.volume])
        bad = ~np.isfinite(prices)
        if bad.any():
            column, index = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 1])]
            self._fail(int(index), f"{COLUMNS[column + 1]} is not a number ({prices[column, index]})")
        problems = (
            (self.low > np.minimum(self.open, self.close), "low is above open or close"),
            (self.high < np.maximum(self.open, self.close), "high is below open or close"),
            (self.low <= 0, "low is not positive"),
            (self.volume < 0, "volume is negative"),
        )
        first = [(int(np.argmax(mask)), what) for mask, what in problems if mask.any()]
        if first:
            index, what = min(first)
            o, h, lo, c = self.open[index], self.high[index], self.low[index], self.close[index]
            self._fail(index, f"{what} (open {o}, high {h}, low {lo}, close {c}, volume {self.volume[index]})")
        steps = np.diff(self.timestamp_ms)
        if (steps <= 0).any():
            index = int(np.argmax(steps <= 0)) + 1
            previous = int(self.timestamp_ms[index - 1])
            self._fail(
                index, f"time {iso(int(self.timestamp_ms[index]))} is not after the row before ({iso(previous)})"
            )
        if (steps != step_ms).any():
            index = int(np.argmax(steps != step_ms)) + 1
            step = int(steps[index - 1])
            if step % step_ms:
                self._fail(index, f"time {iso(int(self.timestamp_ms[index]))} is off the {step_ms // 1000} s grid")
            missing = step // step_ms - 1
            self._fail(
                index,
                f"gap: {missing} candle(s) missing between {iso(int(self.timestamp_ms[index - 1]))} and "
                f"{iso(int(self.timestamp_ms[index]))}",
            )

    def _fail(self, index: int, what: str) -> None:
        raise BadCandleData(f"{self.source}: {self.row_label} {self.first_row + index}: {what}")
