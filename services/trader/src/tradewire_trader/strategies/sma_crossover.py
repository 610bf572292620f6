"""Moving-average crossover: buy when the fast SMA crosses above the slow one, sell when it crosses below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewire_trader.positions import Position
from tradewire_trader.strategies.bar import Bar
from tradewire_trader.strategies.base import Intent, Strategy, enter, exit_, sweep


class SmaParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fast: int = Field(5, ge=1, description="fast SMA window (candles)", json_schema_extra=sweep(3, 5, 8, 13))
    slow: int = Field(20, ge=2, description="slow SMA window (candles)", json_schema_extra=sweep(20, 30, 50))

    @model_validator(mode="after")
    def _fast_is_faster(self) -> SmaParams:
        if self.fast >= self.slow:
            raise ValueError(f"the fast window ({self.fast}) must be shorter than the slow one ({self.slow})")
        return self


class SmaCrossover(Strategy):
    name = "sma_crossover"
    plots = ("sma_fast", "sma_slow")
    params: SmaParams

    @property
    def warmup(self) -> int:
        return self.params.slow + 1  # the slow SMA now and one candle before, to see a cross

    def indicators(self, frame: pd.DataFrame) -> pd.DataFrame:
        close = frame["close"].to_numpy()
        fast = talib.SMA(close, timeperiod=self.params.fast)
        slow = talib.SMA(close, timeperiod=self.params.slow)
        frame["sma_fast"], frame["sma_slow"] = fast, slow
        # The cross itself, vectorised: +1 where fast went above slow, -1 where it went below, else 0.
        above = (fast > slow).astype(np.int8)
        frame["cross"] = np.diff(above, prepend=above[:1]).astype(float)
        return frame

    def decide(self, bar: Bar, position: Position | None) -> Intent | None:
        cross = bar["cross"]
        if cross > 0 and position is None:
            return enter(f"SMA{self.params.fast} crossed above SMA{self.params.slow}")
        if cross < 0 and position is not None:
            return exit_(f"SMA{self.params.fast} crossed below SMA{self.params.slow}")
        return None
