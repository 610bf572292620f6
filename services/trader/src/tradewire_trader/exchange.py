"""What the engine needs from an exchange; the paper exchange and the live ccxt adapter both provide it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill, OrderSide, OrderType


class Exchange(Protocol):
    rules: MarketRules
    balances: Balances
    last_price: Decimal | None

    @property
    def open_orders(self) -> dict[str, Any]: ...

    async def create_order(
        self,
        symbol: str,
        type: OrderType,
        side: OrderSide,
        amount: Decimal,
        price: Decimal | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...

    async def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]: ...

    async def fetch_balance(self) -> dict[str, Any]: ...

    async def settle(self, candle: Candle) -> list[Fill]:
        """The fills that happened up to this candle (paper: simulated; live: read from the exchange)."""
        ...

    def state(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...
