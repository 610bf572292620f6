"""RSI mean reversion: buy when the market looks oversold, sell when it looks overbought (Wilder's RSI)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import talib
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewire_trader.positions import Position
from tradewire_trader.strategies.bar import Bar
from tradewire_trader.strategies.base import Intent, Strategy, enter, exit_, sweep


class RsiParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rsi_period: int = Field(14, ge=2, description="RSI window (candles)", json_schema_extra=sweep(7, 14, 21))
    rsi_buy_below: Decimal = Field(
        Decimal(30), gt=0, lt=100, description="buy when the RSI falls below this", json_schema_extra=sweep(25, 30)
    )
    rsi_sell_above: Decimal = Field(
        Decimal(70), gt=0, lt=100, description="sell when the RSI rises above this", json_schema_extra=sweep(70, 75)
    )

    @model_validator(mode="after")
    def _bands_are_ordered(self) -> RsiParams:
        if self.rsi_buy_below >= self.rsi_sell_above:
            raise ValueError(
                f"rsi_buy_below ({self.rsi_buy_below}) must be below rsi_sell_above ({self.rsi_sell_above})"
            )
        return self


class RsiReversion(Strategy):
    name = "rsi_reversion"
    plots = ("rsi",)
    params: RsiParams

    @property
    def warmup(self) -> int:
        # Wilder's smoothing remembers every candle; after 5 periods the start's weight is below 2 %.
        return 5 * self.params.rsi_period

    def indicators(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame["rsi"] = talib.RSI(frame["close"].to_numpy(), timeperiod=self.params.rsi_period)
        return frame

    def decide(self, bar: Bar, position: Position | None) -> Intent | None:
        rsi = bar["rsi"]
        if rsi < self.params.rsi_buy_below and position is None:
            return enter(f"RSI {rsi:.1f} below {self.params.rsi_buy_below}")
        if rsi > self.params.rsi_sell_above and position is not None:
            return exit_(f"RSI {rsi:.1f} above {self.params.rsi_sell_above}")
        return None
