"""How much an entry buys: a fixed base amount, a stake in the quote currency, or a share of equity.

The intent may name its own `amount` or `stake`; otherwise the bot's setting applies. The result is in
base coins, rounded down to the market's step; the market's limits are checked when the order is placed,
and a refusal is published (`order_refused`) and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from tradewire_trader.strategies.base import Intent

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Sizing:
    kind: Literal["amount", "stake", "percent"]
    value: Decimal  # base coins, quote currency, or percent of equity

    def describe(self, base: str, quote: str) -> str:
        if self.kind == "amount":
            return f"{self.value} {base} per entry"
        if self.kind == "stake":
            return f"{self.value} {quote} per entry"
        return f"{self.value}% of equity per entry"


def entry_amount(intent: Intent, sizing: Sizing, price: Decimal, equity: Decimal) -> Decimal:
    """Base coins to buy for this entry at about `price` (before rounding to the market's step)."""
    if intent.amount is not None:
        return intent.amount
    if intent.stake is not None:
        return intent.stake / price
    if sizing.kind == "amount":
        return sizing.value
    if sizing.kind == "stake":
        return sizing.value / price
    return equity * sizing.value / HUNDRED / price
