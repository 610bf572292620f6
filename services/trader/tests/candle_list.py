"""Candles already in memory as market data, for the engine's tests; `end` cuts the list short."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pandas as pd

from tradewire_trader.candles import Candle
from tradewire_trader.strategies.feed import frame_of


class CandleList:
    def __init__(self, candles: list[Candle], end: int | None = None) -> None:
        self._candles = candles
        self._end = end

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        for candle in self._candles[start : self._end]:
            yield candle

    def history(self) -> pd.DataFrame | None:
        return frame_of(self._candles[: self._end])
