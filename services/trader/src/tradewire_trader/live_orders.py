"""Our live orders as we track them, and how the exchange's answers sort into yes, no and unknown.

An order is saved (`pending`) under a client order id that is ours before the request is sent, so a
crash at any point leaves something to look up. After the request it is `open` (the exchange said
yes), gone (a clear no), or `unknown` (no clear answer: a timeout, -1006, -1007, a 5xx, a dropped
connection). An unknown order is looked up by its client id with backoff until the grace period
ends; it is never sent again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal

import ccxt  # type: ignore[import-untyped]

from tradewire_trader.orders import OrderSide, OrderType

Tracking = Literal["pending", "unknown", "open"]
TERMINAL = ("closed", "canceled", "expired", "rejected")

# The exchange said no: nothing was placed. Everything else that is not an answer leaves the fate unknown.
REFUSED: tuple[type[Exception], ...] = (
    ccxt.InsufficientFunds,
    ccxt.InvalidOrder,
    ccxt.BadRequest,
    ccxt.BadSymbol,
    ccxt.AuthenticationError,
    ccxt.PermissionDenied,
    ccxt.DDoSProtection,  # 429 and 418: Binance rejects the request before it is considered
)


def client_id_prefix(bot_id: str) -> str:
    """Short and fixed per bot (Binance allows 36 characters from [.A-Za-z0-9:/_-]), so ours are recognisable."""
    return "tw" + hashlib.sha256(bot_id.encode()).hexdigest()[:8] + "-"


@dataclass
class TrackedOrder:
    client_id: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None
    since: float  # wall-clock seconds when it was first sent: the grace period survives restarts
    status: Tracking = "pending"
    id: str | None = None  # the exchange's order id, once known
    exchange_status: str = ""  # ccxt's: open, closed, canceled, expired, rejected
    filled: Decimal = Decimal(0)  # as the exchange reports it
    booked: Decimal = Decimal(0)  # the sum of the trades we booked
    trade_ids: list[str] = field(default_factory=list)
    lookups: int = 0
    next_lookup: float = 0.0

    @property
    def settled(self) -> bool:
        """Ended on the exchange, and every trade of it booked."""
        return self.exchange_status in TERMINAL and self.booked >= self.filled

    def to_ccxt(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clientOrderId": self.client_id,
            "type": self.type,
            "side": self.side,
            "amount": self.amount,
            "price": self.price,
            "filled": self.filled,
            "status": self.exchange_status or self.status,
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Decimal) else value
        return out

    @classmethod
    def from_old_state(cls, saved: dict[str, Any], now: float) -> TrackedOrder:
        """An order saved before orders were tracked by client id: looked up again, by its id if it has one."""
        client_id = saved.get("clientOrderId") or ""
        if not client_id:
            raise ValueError(f"a saved live order has neither client order id nor our format: {saved}")
        order_id = str(saved["id"]) if saved.get("id") and not str(saved["id"]).startswith("unknown:") else None
        side: OrderSide = "sell" if saved.get("side") == "sell" else "buy"  # fills take each trade's own side
        type: OrderType = "limit" if saved.get("type") == "limit" else "market"
        return cls(client_id, side, type, Decimal(0), None, now, "unknown" if order_id is None else "open", order_id)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackedOrder:
        decimals = {"amount", "price", "filled", "booked"}
        values: dict[str, Any] = {k: (Decimal(v) if k in decimals and v is not None else v) for k, v in data.items()}
        return cls(**values)


def retry_after_s(client: Any, error: Exception, default: float) -> float:
    """How long the exchange asked us to stay away: its Retry-After, else a ban's usual 2 minutes, else `default`."""
    headers = {k.lower(): v for k, v in (getattr(client, "last_response_headers", None) or {}).items()}
    try:
        return max(float(headers["retry-after"]), default)
    except (KeyError, ValueError):
        return 120.0 if " 418 " in str(error) else default
