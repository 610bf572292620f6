"""Open positions as the exit rules see them: where and when each was entered, and its best close since.

The book (accounting.py) knows amounts and cost; this knows the trade: entry price (average of the entry
fills, fees excluded), the market time of the first entry fill, and the highest close since (trailing
stops). It is saved in the state file with everything else, so exits after a restart are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass
class Position:
    symbol: str
    amount: Decimal  # base coins bought into this position (before base-coin fees)
    entry_price: Decimal
    opened_ms: int  # market time of the first entry fill (its candle's open)
    peak: Decimal  # highest close since entry
    tag: str = ""

    def add(self, amount: Decimal, price: Decimal) -> None:
        """Another entry fill: the entry price becomes the amount-weighted average."""
        total = self.amount + amount
        if total > 0:
            self.entry_price = (self.entry_price * self.amount + price * amount) / total
        self.amount = total

    def profit_pct(self, price: Decimal) -> Decimal:
        return (price - self.entry_price) * HUNDRED / self.entry_price if self.entry_price else ZERO

    def age_minutes(self, now_ms: int) -> float:
        return (now_ms - self.opened_ms) / 60_000

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Position:
        return cls(
            data["symbol"], Decimal(data["amount"]), Decimal(data["entry_price"]), int(data["opened_ms"]),
            Decimal(data["peak"]), str(data.get("tag", "")),
        )  # fmt: skip
