"""One candle's row of the indicator frame, as a strategy reads it in `decide`."""

from __future__ import annotations

import math
from collections.abc import Callable

from tradewire_trader.candles import Candle


class Bar:
    """`bar["sma_fast"]` is this candle's value of a column, `bar.previous("sma_fast")` the one before.

    Values are floats (NaN while an indicator warms up); `bar.candle` is the exact candle (Decimals) and
    `bar.close` its close as a float. The engine moves one Bar along the frame instead of building a row
    per candle, so reading is a dict lookup and a list index: that keeps a year of 1-minute candles fast.
    """

    __slots__ = ("_columns", "candle", "index")

    def __init__(self, columns: dict[str, list[float]], index: int, candle: Candle) -> None:
        self._columns = columns
        self.index = index
        self.candle = candle

    def __getitem__(self, column: str) -> float:
        return self._columns[column][self.index]

    def previous(self, column: str, back: int = 1) -> float:
        """The column `back` candles ago (NaN before the frame's start)."""
        at = self.index - back
        return self._columns[column][at] if at >= 0 else math.nan

    def get(self, column: str) -> float | None:
        """This candle's value, or None when the column is missing or NaN (for plots)."""
        values = self._columns.get(column)
        if values is None:
            return None
        value = values[self.index]
        return None if math.isnan(value) else value

    def values_at(self, index: int, names: tuple[str, ...]) -> Callable[[], dict[str, float | None]]:
        """A function returning the named columns at `index` (NaN as None), for plots built later."""
        columns = self._columns

        def values() -> dict[str, float | None]:
            found = {name: columns[name][index] if name in columns else math.nan for name in names}
            return {name: None if math.isnan(value) else value for name, value in found.items()}

        return values

    @property
    def close(self) -> float:
        return self._columns["close"][self.index]

    @property
    def columns(self) -> list[str]:
        return list(self._columns)
