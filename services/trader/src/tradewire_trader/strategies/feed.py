"""Candles in, `Bar`s out: the strategy's indicators computed once over known data, or over a window live.

The rule that makes a backtest and a paper replay of the same data trade identically (and a restarted
trader decide exactly as before):

- When the market data is finite and known up front (a CSV replay, a backtest, a list of candles), the
  indicators are computed ONCE over the whole series, vectorised, and each candle reads its row. TA-Lib's
  indicators are causal (a row depends only on the candles up to it), so the value at candle i is the
  same whether the series ends at i or a year later, and the same after a restart.
- When candles stream in (synthetic demo, live), the indicators are recomputed on every candle over
  exactly the last `warmup` candles. A restart replays those same candles first, so again it decides as
  before. Recursive indicators (EMA, Wilder's RSI) over a window differ slightly from the full-series
  value: give them a warm-up of several times their period (docs/strategies.md, "Warm-up").
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import numpy as np
import pandas as pd

from tradewire_trader.candles import Candle
from tradewire_trader.strategies.bar import Bar
from tradewire_trader.strategies.base import Strategy

OHLCV = ("open", "high", "low", "close", "volume")
NO_CANDLE = Candle(0, Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def frame_of(candles: list[Candle] | deque[Candle]) -> pd.DataFrame:
    """Candles as a DataFrame of floats, indexed by opening time (UTC)."""
    data = {name: np.fromiter((float(getattr(c, name)) for c in candles), float, len(candles)) for name in OHLCV}
    index = pd.to_datetime([c.timestamp_ms for c in candles], unit="ms", utc=True)
    return pd.DataFrame(data, index=index)


def indicator_columns(strategy: Strategy, frame: pd.DataFrame) -> dict[str, list[float]]:
    """Run the strategy's `indicators` and keep every numeric column as a plain list (fast to index)."""
    rows = len(frame)
    result = strategy.indicators(frame)
    if not isinstance(result, pd.DataFrame) or len(result) != rows:
        raise ValueError(
            f"{type(strategy).__name__}.indicators must return the frame it was given with {rows} rows "
            "(add columns, do not drop or shift rows)"
        )
    columns: dict[str, list[float]] = {}
    for name in result.columns:
        values = result[name]
        if values.dtype.kind in "fiub":
            columns[str(name)] = values.to_numpy(dtype=float, na_value=np.nan).tolist()
    return columns


class IndicatorFeed:
    def __init__(self, strategy: Strategy, history: pd.DataFrame | None = None) -> None:
        self.strategy = strategy
        self.window = max(strategy.warmup, 1)
        self._recent: deque[Candle] = deque(maxlen=self.window)
        self._bar: Bar | None = None
        self._precomputed_rows = 0
        self._first_decision = strategy.warmup - 1
        if history is not None:
            self._bar = Bar(indicator_columns(strategy, history), 0, NO_CANDLE)
            self._precomputed_rows = len(history)

    def observe(self, candle: Candle) -> None:
        """A candle seen without a decision (the warm-up replayed after a restart)."""
        self._recent.append(candle)

    def bar(self, index: int, candle: Candle) -> Bar:
        """The row of candle number `index` (counted from the data's first candle)."""
        self._recent.append(candle)  # kept in every mode: candles after the known data go on from here
        bar = self._bar
        if bar is not None and index < self._precomputed_rows:
            bar.index, bar.candle = index, candle
            return bar
        columns = indicator_columns(self.strategy, frame_of(self._recent))
        return Bar(columns, len(self._recent) - 1, candle)

    def ready(self, index: int) -> bool:
        """Whether the strategy has had its warm-up by candle `index`."""
        if index < self._precomputed_rows:
            return index >= self._first_decision
        return len(self._recent) >= self.window
