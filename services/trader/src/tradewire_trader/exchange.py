"""What the engine needs from an exchange, and nothing more; the paper exchange and the live adapter provide it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill, Order, OrderSide, OrderType


class Exchange(Protocol):
    rules: MarketRules
    balances: Balances
    last_price: Decimal | None
    checkpoint: Callable[[], None]  # saves the trader's state; live calls it before sending an order

    @property
    def open_orders(self) -> Mapping[str, Any]: ...

    async def create_order(
        self, symbol: str, type: OrderType, side: OrderSide, amount: Decimal, price: Decimal | None = None
    ) -> Mapping[str, Any]:
        """Place an order (ccxt's names); raises ccxt's InvalidOrder / InsufficientFunds when refused."""
        ...

    async def cancel_order(self, id: str, symbol: str | None = None) -> object: ...

    async def settle(self, candle: Candle) -> list[Fill]:
        """The fills that happened up to this candle (paper: simulated; live: read from the exchange)."""
        ...

    def take_rejections(self) -> list[Order]:
        """Orders refused when they came to fill, since the last call (paper; live refuses when placing)."""
        ...

    async def follow_orders(self) -> list[Fill]:
        """Fills not yet booked (live: after a cancel, what filled before it; paper: none)."""
        ...

    def bid_ask(self, last: Decimal, symbol: str | None = None) -> tuple[Decimal, Decimal]:
        """(bid, ask): what a market sell and buy would get now, for the published price."""
        ...

    def state(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...
