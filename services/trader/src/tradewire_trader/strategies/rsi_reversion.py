"""RSI mean reversion: buy when the market looks oversold, sell all when it looks overbought.

RSI uses Wilder's smoothing, computed exactly in Decimal.
"""

from __future__ import annotations

from decimal import Decimal

from tradewire_trader.candles import Candle
from tradewire_trader.strategies.base import Intent

HUNDRED = Decimal(100)


class Rsi:
    def __init__(self, period: int) -> None:
        self.period = period
        self._previous: Decimal | None = None
        self._gain = Decimal(0)
        self._loss = Decimal(0)
        self._seen = 0

    def push(self, close: Decimal) -> Decimal | None:
        previous, self._previous = self._previous, close
        if previous is None:
            return None
        change = close - previous
        gain, loss = (change, Decimal(0)) if change > 0 else (Decimal(0), -change)
        self._seen += 1
        if self._seen <= self.period:  # the first average is a plain mean of `period` changes
            self._gain += gain / self.period
            self._loss += loss / self.period
            if self._seen < self.period:
                return None
        else:
            self._gain = (self._gain * (self.period - 1) + gain) / self.period
            self._loss = (self._loss * (self.period - 1) + loss) / self.period
        if self._loss == 0:
            return HUNDRED
        return HUNDRED - HUNDRED / (1 + self._gain / self._loss)


class RsiReversion:
    name = "rsi_reversion"

    def __init__(self, period: int, buy_below: Decimal, sell_above: Decimal, order_size: Decimal) -> None:
        if buy_below >= sell_above:
            raise ValueError(f"buy_below ({buy_below}) must be lower than sell_above ({sell_above})")
        self.warmup = 3 * period
        self._rsi = Rsi(period)
        self._buy_below = buy_below
        self._sell_above = sell_above
        self._order_size = order_size

    def on_candle(self, candle: Candle, position: Decimal) -> Intent | None:
        rsi = self._rsi.push(candle.close)
        if rsi is None:
            return None
        if rsi < self._buy_below and position == 0:
            return Intent("buy", self._order_size, f"RSI {rsi:.1f} below {self._buy_below}")
        if rsi > self._sell_above and position > 0:
            return Intent("sell", position, f"RSI {rsi:.1f} above {self._sell_above}")
        return None
