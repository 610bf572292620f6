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

from tradewire_trader.candles import Candle
from tradewire_trader.live_client import READ_ATTEMPTS, decimal, new_client, point_at, with_retries
from tradewire_trader.live_orders import REFUSED, TrackedOrder, client_id_prefix, retry_after_s
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill, Order, OrderSide, OrderType
from tradewire_trader.settings import Settings

log = logging.getLogger("tradewire.trader.live")
__all__ = ["LiveExchange", "new_client", "point_at", "with_retries"]


class LiveExchange:
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

    # --- requests, paced by the exchange ----------------------------------------------------------
    def _paused(self) -> bool:
        return self.clock() < self.paused_until

    def _pause(self, error: Exception) -> None:
        wait = retry_after_s(self.client, error, self._first_delay)
        self.paused_until = max(self.paused_until, self.clock() + wait)
        log.warning("the exchange asks us to wait %.0fs (%s); no requests until then", wait, type(error).__name__)

    def _read_failed(self, what: str, error: Exception) -> None:
        if isinstance(error, ccxt.DDoSProtection):
            self._pause(error)
        self.read_failures += 1
        self.read_error = f"{what}: {type(error).__name__}: {error}"[:300]
        log.warning("%s (read failure %d; trading goes on)", self.read_error, self.read_failures)

    async def refresh_balances(self) -> None:
        raw = await self.client.fetch_balance()
        self.balances = Balances(
            free={c: decimal(v) for c, v in raw["free"].items() if v is not None},
            used={c: decimal(v) for c, v in raw["used"].items() if v is not None},
        )

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

    def _update(self, order: TrackedOrder, raw: dict[str, Any]) -> None:
        order.status, order.id = "open", str(raw["id"])
        order.exchange_status = raw.get("status") or "open"
        order.filled = max(order.filled, decimal(raw.get("filled")))

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

    # --- what happened ----------------------------------------------------------------------------
    async def settle(self, candle: Candle) -> list[Fill]:
        self.last_price = candle.close
        return await self.follow_orders()

    async def follow_orders(self) -> list[Fill]:
        """Fills of our orders since the last call, read from the exchange's trades; never raises ccxt errors."""
        if self._paused():
            return []
        fills: list[Fill] = []
        failed = False
        for order in list(self.orders.values()):
            try:
                fills += await self._follow(order)
            except ccxt.BaseError as error:
                self._read_failed(f"following order {order.client_id}", error)
                failed = True
                if self._paused():
                    break
        if fills:
            try:
                await self.refresh_balances()
            except ccxt.BaseError as error:
                self._read_failed("fetching the balance", error)
                failed = True
        if not failed:
            self.read_error = None
        return fills

    async def _follow(self, order: TrackedOrder) -> list[Fill]:
        symbol = self.rules.symbol
        if order.status == "pending":  # its request is in flight right now
            return []
        if order.status != "open":
            if not await self._look_up(order):
                return []
        else:
            self._update(order, await self.client.fetch_order(order.id, symbol))
        fills: list[Fill] = []
        if order.filled > order.booked:
            # The order query carries no commission; its trades do, in the coin each was charged in.
            trades = await self.client.fetch_order_trades(order.id, symbol)
            new = [t for t in trades if str(t["id"]) not in order.trade_ids]
            fills = [await self._fill(order, t) for t in sorted(new, key=lambda t: int(t["id"]))]
            for fill in fills:  # only once every fill of this read could be valued
                order.trade_ids.append(fill.trade_id)
                order.booked += fill.amount
                self.last_trade_id = max(self.last_trade_id, int(fill.trade_id))
        if order.settled:
            del self.orders[order.client_id]
        return fills

    async def _look_up(self, order: TrackedOrder) -> bool:
        """Find an order whose fate is unknown by its client id; True once it is known to exist."""
        now = self.clock()
        if now < order.next_lookup:
            return False
        order.lookups += 1
        order.next_lookup = now + min(
            self.lookup_delay_s * 2 ** (order.lookups - 1), max(self.grace_s / 4, self.lookup_delay_s)
        )
        try:
            raw = await self.client.fetch_order(None, self.rules.symbol, {"origClientOrderId": order.client_id})
        except ccxt.OrderNotFound:
            # Binance may not show an order it just accepted: only the grace period's end says "never placed".
            if now - order.since >= self.grace_s:
                log.warning(
                    "order %s not found after %.0fs and %d lookups: it never reached the exchange",
                    order.client_id,
                    now - order.since,
                    order.lookups,
                )
                del self.orders[order.client_id]
            return False
        log.info("order %s found after %d lookup(s): %s", order.client_id, order.lookups, raw.get("status"))
        self._update(order, raw)
        return True

    async def _fill(self, order: TrackedOrder, trade: dict[str, Any]) -> Fill:
        fee = trade.get("fee") or {}
        fee_cost, fee_currency = decimal(fee.get("cost")), fee.get("currency") or self.quote
        price = decimal(trade["price"])
        value = None
        if fee_currency not in (self.base, self.quote) and fee_cost:
            ticker = await self.client.fetch_ticker(f"{fee_currency}/{self.quote}")
            value = fee_cost * decimal(ticker["last"])
        return Fill(
            str(order.id),
            self.rules.symbol,
            "sell" if trade.get("side") == "sell" else "buy" if trade.get("side") == "buy" else order.side,
            price,
            decimal(trade["amount"]),
            fee_cost,
            fee_currency,
            int(trade.get("timestamp") or self.clock() * 1000),
            trade.get("takerOrMaker") != "maker",
            fee_value=value,
            trade_id=str(trade["id"]),
        )

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
