"""Orders and fills as the trader keeps them, with ccxt's structure when shown to strategy-facing code."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

OrderSide = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
ZERO = Decimal(0)


@dataclass
class Order:
    id: str
    client_order_id: str
    symbol: str
    type: OrderType
    side: OrderSide
    amount: Decimal
    price: Decimal | None  # the limit price; None for a market order
    reserved: Decimal  # funds held while open: quote for buys, base for sells
    timestamp_ms: int
    status: Literal["open", "closed", "canceled", "rejected"] = "open"
    filled: Decimal = Decimal(0)
    average: Decimal | None = None
    fee: Decimal = Decimal(0)
    fee_currency: str = ""
    reason: str = ""
    taker: bool = False  # a market order, or a limit that was marketable when placed

    def to_ccxt(self) -> dict[str, Any]:
        """The unified ccxt order structure (numbers as exact Decimals instead of floats)."""
        return {
            "id": self.id,
            "clientOrderId": self.client_order_id,
            "timestamp": self.timestamp_ms,
            "datetime": datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).isoformat(),
            "symbol": self.symbol,
            "type": self.type,
            "side": self.side,
            "price": self.price if self.price is not None else self.average,
            "amount": self.amount,
            "filled": self.filled,
            "remaining": self.amount - self.filled,
            "cost": (self.average or Decimal(0)) * self.filled,
            "average": self.average,
            "status": self.status,
            "fee": {"cost": self.fee, "currency": self.fee_currency},
            "trades": [],
            "info": {"reason": self.reason} if self.reason else {},
        }

    def to_json(self) -> dict[str, Any]:
        # Flat fields only, so no `asdict` (a recursive deep copy): this runs for every saved state.
        return {f.name: (str(v) if isinstance(v := getattr(self, f.name), Decimal) else v) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Order:
        decimals = {"amount", "price", "reserved", "filled", "average", "fee"}
        values: dict[str, Any] = {k: (Decimal(v) if k in decimals and v is not None else v) for k, v in data.items()}
        return cls(**values)


@dataclass(frozen=True)
class Fill:
    order_id: str
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_currency: str
    timestamp_ms: int
    taker: bool
    # The fee valued in the quote currency; needed when it was charged in a third coin (BNB), where it is
    # the coin's price at booking time times the fee. None: the fee is in base or quote and values itself.
    fee_value: Decimal | None = None
    trade_id: str = ""

    @property
    def cost(self) -> Decimal:
        return self.price * self.amount

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]

    @property
    def fee_in_quote(self) -> Decimal:
        """What the fee is worth in the quote currency, whatever coin it was charged in."""
        if self.fee_currency == self.quote:
            return self.fee
        if self.fee_currency == self.base:
            return self.fee * self.price
        if self.fee_value is None:
            raise ValueError(f"a fee in {self.fee_currency} needs its value in {self.quote}")
        return self.fee_value

    @property
    def base_fee(self) -> Decimal:
        """The part of the fee taken from the base coin itself (Binance: a buy's fee, by default)."""
        return self.fee if self.fee_currency == self.base else Decimal(0)

    @property
    def cash_fee(self) -> Decimal:
        """The quote value of a fee paid from something other than the base coin (quote, or BNB)."""
        return Decimal(0) if self.fee_currency == self.base else self.fee_in_quote


@dataclass
class Balances:
    """free + used per currency; `used` is what open orders hold."""

    free: dict[str, Decimal] = field(default_factory=dict)
    used: dict[str, Decimal] = field(default_factory=dict)

    def total(self, currency: str) -> Decimal:
        return self.free.get(currency, ZERO) + self.used.get(currency, ZERO)  # per candle: no new zeros

    def totals(self) -> dict[str, Decimal]:
        return {c: self.total(c) for c in sorted(set(self.free) | set(self.used))}

    def to_ccxt(self) -> dict[str, Any]:
        totals = self.totals()
        result: dict[str, Any] = {"info": {}, "free": {}, "used": {}, "total": {}}
        for currency, total in totals.items():
            entry = {
                "free": self.free.get(currency, Decimal(0)),
                "used": self.used.get(currency, Decimal(0)),
                "total": total,
            }
            result[currency] = entry
            for key in ("free", "used", "total"):
                result[key][currency] = entry[key]
        return result

    def to_json(self) -> dict[str, Any]:
        return {"free": {k: str(v) for k, v in self.free.items()}, "used": {k: str(v) for k, v in self.used.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Balances:
        return cls({k: Decimal(v) for k, v in data["free"].items()}, {k: Decimal(v) for k, v in data["used"].items()})
