"""Live trading through `ccxt.async_support`, behind the same interface as the paper exchange.

- Keys come from the settings (`TRADER_API_KEY`, `TRADER_API_SECRET`); sandbox (testnet) is on by default.
- Reads are retried with backoff and jitter on network errors (timeouts, 429s, refused connections).
- An order is never re-sent blindly: every order carries our client order id, and when placing it fails
  in a way that leaves its fate unknown (a timeout, a dropped connection), we look it up by that id.
- ccxt's own rate limiter is on (`enableRateLimit`), so requests are spaced as the exchange asks.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import ccxt  # type: ignore[import-untyped]
import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill, OrderSide, OrderType
from tradewire_trader.settings import Settings

log = logging.getLogger("tradewire.trader.live")
T = TypeVar("T")
READ_ATTEMPTS = 5


async def with_retries(
    what: str, call: Callable[[], Awaitable[T]], attempts: int = READ_ATTEMPTS, first_delay: float = 0.2
) -> T:
    """Run a read, retrying network errors with exponential backoff and jitter; other errors pass through."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ccxt.NetworkError as error:  # includes timeouts, 429 (DDoSProtection) and refused connections
            if attempt == attempts:
                raise
            wait = delay * (2 if isinstance(error, ccxt.DDoSProtection) else 1)
            log.warning(
                "%s failed (%s: %s); retry %d/%d in %.2fs",
                what,
                type(error).__name__,
                error,
                attempt,
                attempts - 1,
                wait,
            )
            await asyncio.sleep(wait / 2 + random.uniform(0, wait / 2))
            delay *= 2
    raise AssertionError("unreachable")


def new_client(settings: Settings, *, private: bool) -> ccxt_async.Exchange:
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": 10_000,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    }
    if private:
        config |= {"apiKey": settings.api_key, "secret": settings.api_secret}
    client: ccxt_async.Exchange = getattr(ccxt_async, settings.exchange)(config)
    if settings.sandbox:
        client.set_sandbox_mode(True)
    if settings.api_url:
        point_at(client, settings.api_url)
    return client


def point_at(client: ccxt_async.Exchange, base_url: str) -> None:
    """Send every REST call to `base_url`, keeping each endpoint's path (for local stubs)."""
    urls = client.urls["api"]
    for name, value in urls.items():
        if isinstance(value, str):
            urls[name] = base_url.rstrip("/") + urlsplit(value).path


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


class LiveExchange:
    def __init__(
        self,
        client: ccxt_async.Exchange,
        rules: MarketRules,
        *,
        attempts: int = READ_ATTEMPTS,
        first_delay: float = 0.2,
    ) -> None:
        self.client = client
        self._attempts, self._first_delay = attempts, first_delay
        self.rules = rules
        self.base, self.quote = rules.symbol.split("/")
        self.balances = Balances()
        self.last_price: Decimal | None = None
        self.open_orders: dict[str, dict[str, Any]] = {}  # ours, by exchange id, until we saw them filled
        self._settled: list[dict[str, Any]] = []  # filled orders whose fills the engine has not taken yet

    @classmethod
    async def connect(cls, settings: Settings) -> LiveExchange:
        if not (settings.api_key and settings.api_secret):
            raise ValueError("live mode needs TRADER_API_KEY and TRADER_API_SECRET")
        client = new_client(settings, private=True)
        try:
            await with_retries("loading markets", client.load_markets, settings.retry_attempts, settings.retry_delay_s)
            exchange = cls(
                client,
                MarketRules(client, settings.symbol),
                attempts=settings.retry_attempts,
                first_delay=settings.retry_delay_s,
            )
            await exchange.refresh_balances()
        except BaseException:
            await client.close()
            raise
        return exchange

    async def _retry(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(what, call, self._attempts, self._first_delay)

    async def close(self) -> None:
        await self.client.close()

    async def refresh_balances(self) -> None:
        raw = await self._retry("fetching the balance", self.client.fetch_balance)
        self.balances = Balances(
            free={c: _decimal(v) for c, v in raw["free"].items() if v is not None},
            used={c: _decimal(v) for c, v in raw["used"].items() if v is not None},
        )

    async def fetch_balance(self) -> dict[str, Any]:
        await self.refresh_balances()
        return self.balances.to_ccxt()

    async def create_order(
        self,
        symbol: str,
        type: OrderType,
        side: OrderSide,
        amount: Decimal,
        price: Decimal | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        amount = self.rules.amount(Decimal(amount))
        if price is not None:
            price = self.rules.price(Decimal(price))
        client_order_id = (params or {}).get("clientOrderId") or f"tw{uuid.uuid4().hex[:30]}"
        try:
            order: dict[str, Any] = await self.client.create_order(
                symbol,
                type,
                side,
                float(amount),
                None if price is None else float(price),
                {"clientOrderId": client_order_id},
            )
        except ccxt.NetworkError as error:
            if isinstance(error, ccxt.DDoSProtection):
                raise  # refused before it was considered: nothing was placed
            # Its fate is unknown: ask for it by our id instead of sending it again.
            log.warning(
                "placing %s %s %s failed (%s); looking it up by client order id %s",
                side,
                amount,
                symbol,
                error.__class__.__name__,
                client_order_id,
            )
            try:
                found = await self.find_by_client_id(symbol, client_order_id)
            except ccxt.NetworkError:
                # Still unreachable: remember it and look again on every candle until its fate is known.
                self.open_orders[f"unknown:{client_order_id}"] = {"clientOrderId": client_order_id, "status": "unknown"}
                raise
            if found is None:
                raise ccxt.InvalidOrder(f"order {client_order_id} was not placed ({error}); not re-sent") from error
            order = found
        self.open_orders[str(order["id"])] = order
        return order

    async def find_by_client_id(self, symbol: str, client_order_id: str) -> dict[str, Any] | None:
        try:
            return await self._retry(
                f"looking up order {client_order_id}",
                lambda: self.client.fetch_order("", symbol, {"clientOrderId": client_order_id}),
            )
        except ccxt.OrderNotFound:
            return None

    async def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        if id.startswith("unknown:"):
            raise ccxt.OrderNotFound(f"order {id} was never confirmed by the exchange; check it by hand")
        order: dict[str, Any] = await self.client.cancel_order(id, symbol or self.rules.symbol)
        self.open_orders.pop(id, None)
        return order

    async def settle(self, candle: Candle) -> list[Fill]:
        """Fills of our orders: those that came back filled, and open ones the exchange now reports filled."""
        self.last_price = candle.close
        fills = []
        for order_id, order in list(self.open_orders.items()):
            if order.get("status") == "unknown":
                found = await self.find_by_client_id(self.rules.symbol, order["clientOrderId"])
                del self.open_orders[order_id]
                if found is None:
                    log.info("order %s never reached the exchange", order["clientOrderId"])
                    continue
                order_id, order = str(found["id"]), found
                self.open_orders[order_id] = order
            if order.get("status") != "closed":
                order = await self._retry(
                    f"fetching order {order_id}",
                    functools.partial(self.client.fetch_order, order_id, self.rules.symbol),
                )
            if order.get("status") == "closed":
                del self.open_orders[order_id]
                fills.append(self._fill(order, candle))
            elif order.get("status") in ("canceled", "expired", "rejected"):
                del self.open_orders[order_id]
                if _decimal(order.get("filled")) > 0:  # what filled before it ended is a trade all the same
                    fills.append(self._fill(order, candle))
        if fills:
            await self.refresh_balances()
        return fills

    def _fill(self, order: dict[str, Any], candle: Candle) -> Fill:
        price, amount = _decimal(order.get("average") or order.get("price")), _decimal(order.get("filled"))
        taker = order.get("type") == "market"
        fee = order.get("fee") or {}
        if fee.get("cost") is None:
            # Binance's order query carries no commission (only the placing answer's fills do): book the
            # market's fee rate rather than nothing, and say so.
            rate = _decimal(self.client.markets[self.rules.symbol].get("taker" if taker else "maker"))
            fee = {"cost": price * amount * rate, "currency": self.quote}
            log.info("order %s: fee not reported, booked at the market rate %s", order.get("id"), rate)
        fee_cost, fee_currency = _decimal(fee.get("cost")), fee.get("currency") or self.quote
        if fee_currency == self.base:  # the books keep fees in the quote currency
            fee_cost, fee_currency = fee_cost * price, self.quote
        return Fill(
            str(order["id"]),
            self.rules.symbol,
            order["side"],
            price,
            amount,
            fee_cost,
            fee_currency,
            int(order.get("timestamp") or candle.timestamp_ms),
            taker,
        )

    def state(self) -> dict[str, Any]:
        # The exchange holds balances and orders; we keep only the ids to look at again after a restart.
        return {
            "orders": {
                oid: {
                    "id": oid,
                    "clientOrderId": o.get("clientOrderId"),
                    "status": "open",
                    "side": o.get("side"),
                    "type": o.get("type"),
                }
                for oid, o in self.open_orders.items()
            }
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.open_orders = dict(state.get("orders", {}))
