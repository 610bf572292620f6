"""A CandleTable as the engine's market data: candles made one at a time, with a progress callback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.candles import Candle

PROGRESS_EVERY = 8192  # candles between progress callbacks


class TableMarket:
    def __init__(self, table: CandleTable, progress: Callable[[int], None] | None = None) -> None:
        self._table = table
        self._progress = progress

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        table = self._table
        # Prices repeat a lot (one tick apart, over and over): converting each distinct float once saves
        # most of the Decimal work, which is a large share of a year of one-minute candles.
        seen: dict[float, Decimal] = {}

        def exact(value: float) -> Decimal:
            found = seen.get(value)
            if found is None:
                found = seen[value] = Decimal(repr(value))
            return found

        columns = (table.open, table.high, table.low, table.close)
        rows = zip(
            table.timestamp_ms[start:].tolist(),
            *(c[start:].tolist() for c in columns),
            table.volume[start:].tolist(),
            strict=True,
        )
        progress = self._progress
        for count, (ts, o, h, lo, c, v) in enumerate(rows, start=1):
            yield Candle(ts, exact(o), exact(h), exact(lo), exact(c), Decimal(repr(v)))
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        if progress is not None:
            progress(len(table) - start - (len(table) - start) // PROGRESS_EVERY * PROGRESS_EVERY)
