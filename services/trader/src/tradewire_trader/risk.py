"""Exits and limits that protect the account whatever the strategy says, declared as data.

A strategy declares its defaults (`Strategy.risk`); the bot's settings may override each field, and the
start log prints what is in force. Percentages are positive numbers: `stoploss_pct=5` sells when the
close is 5 % below the entry price.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stoploss_pct: Decimal | None = Field(
        None, gt=0, lt=100, description="Exit when the close falls this far below entry."
    )
    trailing_stop_pct: Decimal | None = Field(
        None, gt=0, lt=100, description="Exit when the close falls this far below the highest close since entry."
    )
    take_profit_pct: Decimal | None = Field(None, gt=0, description="Exit when the close rises this far above entry.")
    roi: dict[int, Decimal] = Field(
        default_factory=dict,
        description="Minimal ROI by trade age: {minutes: profit %}; exit once the profit reaches the entry "
        "of the oldest age passed (Freqtrade's minimal_roi, in percent).",
    )
    time_limit_minutes: PositiveInt | None = Field(None, description="Exit a position older than this.")
    max_open_positions: PositiveInt = Field(1, description="Entries are ignored while this many are open.")
    max_drawdown_pct: Decimal | None = Field(
        None, gt=0, lt=100, description="Close everything and stop the bot when equity falls this far below its peak."
    )
    cooldown_candles: int = Field(0, ge=0, description="No new entry for this many candles after a losing exit.")

    def roi_target(self, age_minutes: float) -> Decimal | None:
        """The profit % that ends a trade of this age, or None when the table says nothing yet."""
        target = None
        for minutes in sorted(self.roi):
            if age_minutes >= minutes:
                target = self.roi[minutes]
        return target

    def describe(self) -> str:
        shown = self.model_dump(exclude_defaults=True)
        return ", ".join(f"{k} {v}" for k, v in shown.items()) or "none"
