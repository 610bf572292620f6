"""One OHLCV candle, the unit every market data source yields and every strategy reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Candle:
    timestamp_ms: int  # opening time, milliseconds since the epoch (ccxt's layout)
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    symbol: str = ""  # the market, when a bot trades several ("" for a one-symbol bot's candles)

    def __post_init__(self) -> None:
        # Four comparisons, not min()/max(): this runs for every candle of a year-long backtest.
        low, high, opening, close = self.low, self.high, self.open, self.close
        if not (low <= opening and low <= close and high >= opening and high >= close):
            raise ValueError(f"inconsistent candle at {self.timestamp_ms}: low/high do not bound open/close")
        # A NaN fails the comparisons above; an infinity would pass them. Finite low and high bound the
        # rest, so what the engine computes from candles is finite too (its events are not re-validated).
        if not (low.is_finite() and high.is_finite() and self.volume.is_finite()):
            raise ValueError(f"candle at {self.timestamp_ms} has a price or volume that is not finite")

    @classmethod
    def from_ohlcv(cls, row: Sequence[float | int | str]) -> Candle:
        """From ccxt's `[timestamp, open, high, low, close, volume]` row (numbers or strings)."""
        ts, o, h, low, c, v = row[:6]
        timestamp = int(ts) if isinstance(ts, int) or (isinstance(ts, str) and ts.isdigit()) else int(float(ts))
        exact = [Decimal(x if isinstance(x, str) else str(x)) for x in (o, h, low, c, v)]
        return cls(timestamp, exact[0], exact[1], exact[2], exact[3], exact[4])
