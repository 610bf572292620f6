"""Live trading through `ccxt.async_support`, behind the same interface as the paper exchange.

- Keys come from the settings as `SecretStr`; sandbox (testnet) is on by default.
- Every order is saved under our client order id before it is sent and never sent twice; an answer
  that is neither yes nor no leaves it `unknown`, looked up by that id (see `live_orders`).
- Fills and fees come from the exchange's trades (`myTrades`), in the coin the fee was charged in.
- A failed read never ends trading: it is kept in `read_error` for the trader to report, and tried
  again on the next candle. A 429 or 418 pauses every request until its `Retry-After` has passed.
- ccxt's own rate limiter is on (`enableRateLimit`), so requests are spaced as the exchange asks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]
import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

from tradewire_trader.live_client import READ_ATTEMPTS, new_client, with_retries
from tradewire_trader.live_orders import REFUSED, TrackedOrder, client_id_prefix
from tradewire_trader.live_reads import LiveReads
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Order, OrderSide, OrderType
from tradewire_trader.settings import Settings

log = logging.getLogger("tradewire.trader.live")


class LiveExchange(LiveReads):
    """Places and cancels orders, and keeps them across restarts; reading what happened is `LiveReads`."""

    def __init__(
        self,
        client: ccxt_async.Exchange,
        rules: MarketRules,
        *,
        bot_id: str = "demo",
        attempts: int = READ_ATTEMPTS,
        first_delay: float = 0.2,
        grace_s: float = 60.0,
        lookup_delay_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.rules = rules
        self.base, self.quote = rules.symbol.split("/")
        self._attempts, self._first_delay = attempts, first_delay
        self.grace_s, self.lookup_delay_s, self.clock = grace_s, lookup_delay_s, clock
        self.prefix = client_id_prefix(bot_id)
        self.balances = Balances()
        self.last_price: Decimal | None = None
        self.orders: dict[str, TrackedOrder] = {}  # ours, by client order id, until settled
        self.order_number = 0
        self.last_trade_id = 0  # the highest trade id booked: reconciliation reads the exchange's trades after it
        self.checkpoint: Callable[[], None] = lambda: None  # saves the trader's state; set by the trader
        self.paused_until = 0.0
        self.read_error: str | None = None  # the last read that failed, until one succeeds
        self.read_failures = 0

    @classmethod
    async def connect(cls, settings: Settings) -> LiveExchange:
        if not (settings.api_key.get_secret_value() and settings.api_secret.get_secret_value()):
            raise ValueError("live mode needs TRADER_API_KEY and TRADER_API_SECRET")
        client = new_client(settings, private=True)
        where = (
            f"{settings.exchange} {'SANDBOX (testnet, no real money)' if settings.sandbox else 'LIVE WITH REAL MONEY'}"
        )
        log.warning("live trading on %s%s", where, f" through {settings.api_url}" if settings.api_url else "")
        try:
            await with_retries(
                "loading markets", client.load_markets, settings.retry_attempts, settings.retry_delay_s, client
            )
            exchange = cls(
                client,
                MarketRules(client, settings.symbol),
                bot_id=settings.bot_id,
                attempts=settings.retry_attempts,
                first_delay=settings.retry_delay_s,
                grace_s=settings.unknown_grace_s,
                lookup_delay_s=settings.lookup_delay_s,
            )
            await with_retries(
                "fetching the balance",
                exchange.refresh_balances,
                settings.retry_attempts,
                settings.retry_delay_s,
                client,
            )
        except BaseException:
            await client.close()
            raise
        return exchange

    @property
    def open_orders(self) -> dict[str, TrackedOrder]:
        return self.orders

    async def close(self) -> None:
        await self.client.close()

    def take_rejections(self) -> list[Order]:
        return []  # the exchange refuses when an order is sent (create_order raises)

    def bid_ask(self, last: Decimal, symbol: str | None = None) -> tuple[Decimal, Decimal]:
        # Live, the published bid/ask are the last price: the book of the real exchange is not read.
        return last, last

    # --- orders -----------------------------------------------------------------------------------
    async def create_order(
        self,
        symbol: str,
        type: OrderType,
        side: OrderSide,
        amount: Decimal,
        price: Decimal | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._paused():
            raise ccxt.DDoSProtection(f"not sending: the exchange asked us to wait until {self.paused_until:.0f}")
        amount = self.rules.amount(Decimal(amount))  # the same market limits as the paper exchange
        if price is not None:
            price = self.rules.price(Decimal(price))
        reference = price or self.last_price
        if reference is not None:  # minimum and maximum order value, checked before the exchange does
            self.rules.check_cost(amount, reference)
        self.order_number += 1
        order = TrackedOrder(f"{self.prefix}{self.order_number}", side, type, amount, price, self.clock())
        self.orders[order.client_id] = order
        self.checkpoint()  # saved before it is sent: after a crash it is looked up, never guessed at
        try:
            raw = await self.client.create_order(
                symbol,
                type,
                side,
                float(amount),
                None if price is None else float(price),
                {"newClientOrderId": order.client_id},
            )
        except REFUSED as refused:
            del self.orders[order.client_id]
            if isinstance(refused, ccxt.DDoSProtection):
                self._pause(refused)
            self.checkpoint()
            raise
        except ccxt.BaseError as error:  # no clear answer: it may or may not be on the exchange
            order.status, order.next_lookup = "unknown", self.clock()
            log.warning(
                "order %s: %s: %s; its fate is unknown, looking it up", order.client_id, error.__class__.__name__, error
            )
            self.checkpoint()
            return order.to_ccxt()
        self._update(order, raw)
        self.checkpoint()
        return order.to_ccxt()

    async def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        order = self.orders.get(id)
        if order is None:
            raise ccxt.OrderNotFound(f"order {id} is not one of ours that is open")
        if order.id is None:
            raise ccxt.OrderNotFound(f"order {id} is not confirmed yet; it is being looked up")
        raw: dict[str, Any] = await self.client.cancel_order(order.id, self.rules.symbol)
        self._update(order, raw)  # kept until its trades are booked: a partial fill is not lost
        return raw

    async def cancel_all(self) -> int:
        """Cancel every open order of the symbol on the exchange, ours or not (the kill switch)."""
        if self._paused():
            raise ccxt.DDoSProtection(f"not sending: the exchange asked us to wait until {self.paused_until:.0f}")
        open_now = await self.client.fetch_open_orders(self.rules.symbol)
        if not open_now:
            return 0
        await self.client.cancel_all_orders(self.rules.symbol)
        return len(open_now)

    # --- state ------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        # The exchange holds balances; we keep our orders (with the trades booked) and the id counter.
        return {
            "orders": {cid: o.to_json() for cid, o in self.orders.items()},
            "order_number": self.order_number,
            "last_trade_id": self.last_trade_id,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.orders = {}
        for saved in state.get("orders", {}).values():
            order = (
                TrackedOrder.from_json(saved)
                if "client_id" in saved
                else TrackedOrder.from_old_state(saved, self.clock())
            )
            self.orders[order.client_id] = order
        self.order_number = max(self.order_number, int(state.get("order_number", 0)))
        self.last_trade_id = int(state.get("last_trade_id", 0))
        for order in self.orders.values():
            if order.status == "pending":  # saved before the request, crashed before the answer
                order.status = "unknown"
