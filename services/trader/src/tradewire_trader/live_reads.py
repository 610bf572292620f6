"""What the live exchange reads: its balance, our orders' fills and fees from its trades, every request
paced when the exchange asks us to wait. A base of `LiveExchange` (live_exchange.py), which places orders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]
import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

from tradewire_trader.candles import Candle
from tradewire_trader.live_client import decimal
from tradewire_trader.live_orders import TrackedOrder, retry_after_s
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill

log = logging.getLogger("tradewire.trader.live")


class LiveReads:
    # Set by LiveExchange.__init__.
    client: ccxt_async.Exchange
    rules: MarketRules
    base: str
    quote: str
    clock: Callable[[], float]
    grace_s: float
    lookup_delay_s: float
    balances: Balances
    last_price: Decimal | None
    orders: dict[str, TrackedOrder]
    last_trade_id: int
    paused_until: float
    read_error: str | None
    read_failures: int
    _first_delay: float

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

    def _update(self, order: TrackedOrder, raw: dict[str, Any]) -> None:
        order.status, order.id = "open", str(raw["id"])
        order.exchange_status = raw.get("status") or "open"
        order.filled = max(order.filled, decimal(raw.get("filled")))

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
