"""Which exit rule, if any, closes a position on this candle, and whether the bot's drawdown stop is hit.

Every rule is checked on the candle's CLOSE, once per closed candle, in the order below, and the exit is
a market sell that fills on the next candle (at its open, within its range: paper_exchange.py). Checking
closes rather than intra-candle lows keeps the rule identical in backtest, paper and live, where the
trader also only learns of a candle once it closed.
"""

from __future__ import annotations

from decimal import Decimal

from tradewire_trader.positions import HUNDRED, Position
from tradewire_trader.risk import Risk


class ExitWatch:
    """One position's exit thresholds as prices and times, so a candle costs a few comparisons.

    Recomputed when the entry changes (`reset`) and when the best close rises (`raise_peak`); the reason
    text is only written when a rule fires.
    """

    __slots__ = ("_roi_changes_ms", "_roi_price", "deadline_ms", "position", "risk", "stop", "take")

    def __init__(self, risk: Risk, position: Position) -> None:
        self.risk, self.position = risk, position
        self.reset()

    def reset(self) -> None:
        risk, position = self.risk, self.position
        self.stop = stop_price(risk, position)
        self.take = take_profit_price(risk, position)
        self.deadline_ms = (
            None if risk.time_limit_minutes is None else position.opened_ms + risk.time_limit_minutes * 60_000
        )
        self._roi_price: Decimal | None = None
        self._roi_changes_ms = position.opened_ms if risk.roi else None

    def raise_peak(self, close: Decimal) -> bool:
        """Note a new best close; True when that moved the stop (a trailing stop)."""
        self.position.peak = close
        if self.risk.trailing_stop_pct is None:
            return False
        self.stop = stop_price(self.risk, self.position)
        return True

    def fired(self, close: Decimal, now_ms: int) -> tuple[str, str] | None:
        """(reason, tag) of the first rule that fires on this close, else None."""
        position = self.position
        if self.stop is not None and close <= self.stop:
            risk = self.risk
            fixed = risk.stoploss_pct is not None and close <= position.entry_price * (1 - risk.stoploss_pct / HUNDRED)
            if fixed or risk.trailing_stop_pct is None:
                return (
                    "stoploss",
                    f"close {close} is {position.profit_pct(close):.2f}% from entry {position.entry_price}",
                )
            return (
                "trailing_stop",
                f"close {close} at or below the trailing stop {self.stop:.2f} (best {position.peak})",
            )
        if self.take is not None and close >= self.take:
            return "take_profit", f"profit {position.profit_pct(close):.2f}% reached {self.risk.take_profit_pct}%"
        if self._roi_changes_ms is not None and now_ms >= self._roi_changes_ms:
            self._next_roi(now_ms)
        if self._roi_price is not None and close >= self._roi_price:
            age = position.age_minutes(now_ms)
            return "roi", f"profit {position.profit_pct(close):.2f}% after {age:.0f} min reached the ROI table"
        if self.deadline_ms is not None and now_ms >= self.deadline_ms:
            return "time_limit", f"open {position.age_minutes(now_ms):.0f} min, limit {self.risk.time_limit_minutes}"
        return None

    def _next_roi(self, now_ms: int) -> None:
        """The ROI table's target price for this age, and when the next row takes over."""
        position, age = self.position, self.position.age_minutes(now_ms)
        target = self.risk.roi_target(age)
        self._roi_price = None if target is None else position.entry_price * (1 + target / HUNDRED)
        later = [minutes for minutes in self.risk.roi if minutes > age]
        self._roi_changes_ms = position.opened_ms + min(later) * 60_000 if later else None


def stop_price(risk: Risk, position: Position) -> Decimal | None:
    """The close at or below which a stop sells now (the higher of the fixed and the trailing one)."""
    stops = []
    if risk.stoploss_pct is not None:
        stops.append(position.entry_price * (1 - risk.stoploss_pct / HUNDRED))
    if risk.trailing_stop_pct is not None:
        stops.append(position.peak * (1 - risk.trailing_stop_pct / HUNDRED))
    return max(stops) if stops else None


def take_profit_price(risk: Risk, position: Position) -> Decimal | None:
    if risk.take_profit_pct is None:
        return None
    return position.entry_price * (1 + risk.take_profit_pct / HUNDRED)


def drawdown_breached(risk: Risk, peak_equity: Decimal, equity: Decimal) -> Decimal | None:
    """The current drawdown in % when it reached the bot's max drawdown stop, else None."""
    if risk.max_drawdown_pct is None or peak_equity <= 0:
        return None
    drawdown = (peak_equity - equity) * HUNDRED / peak_equity
    return drawdown if drawdown >= risk.max_drawdown_pct else None
