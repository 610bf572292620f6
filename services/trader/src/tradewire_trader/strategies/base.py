"""The strategy interface: it sees each closed candle and the position held, and may ask for an order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from tradewire_trader.candles import Candle


@dataclass(frozen=True, slots=True)
class Intent:
    side: Literal["buy", "sell"]
    amount: Decimal  # base currency; the engine rounds it to the market's precision
    reason: str
    limit_price: Decimal | None = None  # None: a market order


class Strategy(Protocol):
    name: str
    warmup: int  # candles needed before the first signal; replayed after a restart

    def on_candle(self, candle: Candle, position: Decimal) -> Intent | None: ...
