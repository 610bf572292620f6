"""Bollinger Band reversion: buy a close below the lower band, sell when the close is back at the middle."""

from __future__ import annotations

import pandas as pd
import talib
from pydantic import BaseModel, ConfigDict, Field

from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk
from tradewire_trader.strategies.bar import Bar
from tradewire_trader.strategies.base import Intent, Strategy, enter, exit_, sweep


class BollingerParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bb_period: int = Field(
        20, ge=2, description="Bollinger Bands: moving-average window (candles)", json_schema_extra=sweep(14, 20, 30)
    )
    bb_width: float = Field(
        2.0, gt=0, le=5, description="Bollinger Bands: standard deviations to each band",
        json_schema_extra=sweep(1.5, 2.0, 2.5),
    )  # fmt: skip


class BollingerReversion(Strategy):
    name = "bollinger_reversion"
    plots = ("bb_upper", "bb_middle", "bb_lower")
    # A reversion bet that keeps falling is not a reversion: a stop and a time limit come with it.
    risk = Risk(stoploss_pct=2, time_limit_minutes=240)
    params: BollingerParams

    @property
    def warmup(self) -> int:
        return self.params.bb_period

    def indicators(self, frame: pd.DataFrame) -> pd.DataFrame:
        width = self.params.bb_width
        upper, middle, lower = talib.BBANDS(
            frame["close"].to_numpy(), timeperiod=self.params.bb_period, nbdevup=width, nbdevdn=width
        )
        frame["bb_upper"], frame["bb_middle"], frame["bb_lower"] = upper, middle, lower
        return frame

    def decide(self, bar: Bar, position: Position | None) -> Intent | None:
        close = bar.close
        if position is None and close < bar["bb_lower"]:
            return enter("close below the lower band")
        if position is not None and close >= bar["bb_middle"]:
            return exit_("close back at the middle band")
        return None
