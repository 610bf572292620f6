"""Moving-average crossover: buy when the fast SMA crosses above the slow one, sell all when it crosses below."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from tradewire_trader.candles import Candle
from tradewire_trader.strategies.base import Intent


class RunningMean:
    """Mean of the last `window` values in O(1) per value, exact in Decimal."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._values: deque[Decimal] = deque()
        self._sum = Decimal(0)

    def push(self, value: Decimal) -> Decimal | None:
        self._values.append(value)
        self._sum += value
        if len(self._values) > self.window:
            self._sum -= self._values.popleft()
        return self._sum / self.window if len(self._values) == self.window else None


class SmaCrossover:
    name = "sma_crossover"

    def __init__(self, fast: int, slow: int, order_size: Decimal) -> None:
        if fast >= slow:
            raise ValueError(f"the fast window ({fast}) must be shorter than the slow one ({slow})")
        self.warmup = slow + 1
        self._fast = RunningMean(fast)
        self._slow = RunningMean(slow)
        self._order_size = order_size
        self._fast_was_above: bool | None = None

    def on_candle(self, candle: Candle, position: Decimal) -> Intent | None:
        fast = self._fast.push(candle.close)
        slow = self._slow.push(candle.close)
        if fast is None or slow is None:
            return None
        above = fast > slow
        was_above, self._fast_was_above = self._fast_was_above, above
        if was_above is None or above == was_above:
            return None
        if above and position == 0:
            return Intent("buy", self._order_size, f"SMA{self._fast.window} crossed above SMA{self._slow.window}")
        if not above and position > 0:
            return Intent("sell", position, f"SMA{self._fast.window} crossed below SMA{self._slow.window}")
        return None
