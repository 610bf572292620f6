"""A CandleTable as the engine's market data: candles made one at a time, with a progress callback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pandas as pd

from tradewire_trader.backtest.candle_table import CandleTable, Floats
from tradewire_trader.candles import Candle

PROGRESS_EVERY = 8192  # candles between progress callbacks


def exact_column(column: Floats) -> list[Decimal]:
    """Each float as the Decimal its shortest repr spells: 42000.1 -> Decimal('42000.1'), digit for digit
    what a paper replay parses from the same CSV (a scaled-integer shortcut gave 42000.10: the same value,
    but a strategy that prints a price in its tag would print it differently)."""
    return [Decimal(repr(value)) for value in column.tolist()]


class TableMarket:
    def __init__(self, table: CandleTable, progress: Callable[[int], None] | None = None) -> None:
        self._table = table
        self._progress = progress

    def history(self) -> pd.DataFrame:
        """The whole table as floats: the strategy's indicators are computed once over it (strategies/feed.py)."""
        table = self._table
        columns = {"open": table.open, "high": table.high, "low": table.low, "close": table.close}
        frame = pd.DataFrame({**columns, "volume": table.volume}, copy=False)
        frame.index = pd.to_datetime(table.timestamp_ms, unit="ms", utc=True)
        return frame

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        table = self._table.rows(start, len(self._table))
        progress = self._progress
        chunk = 65_536  # converted a chunk at a time: a year of Decimals at once would take ~300 MB
        for lo in range(0, len(table), chunk):
            part = table.rows(lo, min(lo + chunk, len(table)))
            columns = [exact_column(c) for c in (part.open, part.high, part.low, part.close, part.volume)]
            for count, row in enumerate(zip(part.timestamp_ms.tolist(), *columns, strict=True), start=1):
                yield Candle(*row)
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(PROGRESS_EVERY)
            if progress is not None:
                progress(len(part) % PROGRESS_EVERY)
