"""A local stand-in for Binance's spot REST API, for running live mode offline (tests and demos).

It answers in Binance's real format: symbols and filters from ccxt's recorded exchangeInfo, orders,
`myTrades`, `openOrders` and errors as Binance sends them, so ccxt's own parsing and error mapping
run against it. The account behind it (`tradewire_testing.binance_account.BinanceAccount`) keeps balances, orders and
trades the way Binance does. It does not check signatures.

Faults are queued per route (`"POST /api/v3/order"`, or `"*"` for any) and each answers one request:
a Binance error code, 429 or 418 with `Retry-After`, a 5xx, a dropped connection, or a slow answer;
`after_effect=True` lets the request take effect first (the order *is* placed, the answer is lost).
`hide_orders` makes the order query answer -2013 for orders that do exist, as Binance may just after
an order was accepted.

    stub = BinanceStub(); await stub.start(); ... stub.url ...; await stub.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from tradewire_testing.binance_account import BinanceAccount, BinanceError, StubOrder
from tradewire_testing.binance_klines import KlineHistory, KlinesRefused
from tradewire_trader.candles import Candle
from tradewire_trader.synthetic import synthetic_series

UNKNOWN_EXECUTION = (500, -1006, "An unexpected response was received from the message bus. Execution status unknown.")
BACKEND_TIMEOUT = (
    500,
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
)
NO_SUCH_ORDER = (400, -2013, "Order does not exist.")


@dataclass(frozen=True)
class Fault:
    status: int = 0  # HTTP status of the answer; 0 with `drop` or `delay_s`
    code: int | None = None  # Binance's error code, when the body carries one
    msg: str = ""
    retry_after_s: int | None = None
    drop: bool = False  # close the connection without answering
    delay_s: float = 0.0  # take effect, then answer this late (a client with a shorter timeout gives up)
    after_effect: bool = False  # the request takes effect before the fault

    @classmethod
    def error(cls, status: int, code: int, msg: str, *, after_effect: bool = False) -> Fault:
        return cls(status, code, msg, after_effect=after_effect)

    @classmethod
    def rate_limited(cls, retry_after_s: int = 1) -> Fault:
        return cls(429, -1003, "Too many requests; current limit is 6000 request weight per 1 MINUTE.", retry_after_s)

    @classmethod
    def banned(cls, retry_after_s: int) -> Fault:
        until = int(time.time() * 1000) + retry_after_s * 1000
        return cls(418, -1003, f"Way too many requests; IP(127.0.0.1) banned until {until}.", retry_after_s)

    @classmethod
    def unavailable(cls, *, after_effect: bool = False) -> Fault:
        return cls(503, None, "Service Unavailable", after_effect=after_effect)

    @classmethod
    def dropped(cls, *, after_effect: bool = False) -> Fault:
        return cls(drop=True, after_effect=after_effect)


@dataclass
class BinanceStub:
    account: BinanceAccount = field(default_factory=BinanceAccount)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    hide_orders: int = 0  # the next N order queries answer -2013 even for orders that exist
    requests: list[str] = field(default_factory=list)
    history: KlineHistory = field(default_factory=KlineHistory)  # what klines with startTime/endTime answer
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, route: str, *faults: Fault) -> None:
        """Answer the next requests to `route` ("POST /api/v3/order", or "*") with these faults, in order."""
        self.faults.setdefault(route, deque()).extend(faults)

    def count(self, route: str) -> int:
        return self.requests.count(route)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._faults])
        routes = [
            ("GET", "/api/v3/time", self.server_time),
            ("GET", "/api/v3/exchangeInfo", self.exchange_info),
            ("GET", "/api/v3/ticker/24hr", self.ticker),
            ("GET", "/api/v3/klines", self.klines),
            ("GET", "/api/v3/account", self.account_info),
            ("POST", "/api/v3/order", self.new_order),
            ("GET", "/api/v3/order", self.query_order),
            ("DELETE", "/api/v3/order", self.cancel_order),
            ("GET", "/api/v3/openOrders", self.open_orders),
            ("DELETE", "/api/v3/openOrders", self.cancel_open_orders),
            ("GET", "/api/v3/myTrades", self.my_trades),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _next_fault(self, route: str) -> Fault | None:
        for key in (route, "*"):
            queue = self.faults.get(key)
            if queue:
                return queue.popleft()
        return None

    @web.middleware
    async def _faults(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = f"{request.method} {request.path}"
        self.requests.append(route)
        fault = self._next_fault(route)
        if fault is None:
            return await self._answer(request, handler)
        effect = await self._answer(request, handler) if fault.after_effect or fault.delay_s else None
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)  # it took effect; the answer comes after the client gave up
            assert effect is not None
            return effect
        if fault.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never reaches the client: the connection is gone
        headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
        if fault.code is None:
            return web.Response(status=fault.status, text=fault.msg, headers=headers)
        return web.json_response({"code": fault.code, "msg": fault.msg}, status=fault.status, headers=headers)

    @staticmethod
    async def _answer(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except BinanceError as error:
            return web.json_response(error.body, status=error.status)
        return response

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        return {k: str(v) for k, v in (await request.post()).items()} | dict(request.query)

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def exchange_info(self, request: web.Request) -> web.Response:
        now = int(time.time() * 1000)
        symbols = list(self.account.symbols.values())
        return web.json_response(
            {"timezone": "UTC", "serverTime": now, "rateLimits": [], "exchangeFilters": [], "symbols": symbols}
        )

    async def ticker(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol", "BTCUSDT")
        now, p = int(time.time() * 1000), f"{self.account.prices[symbol]:.8f}"
        return web.json_response(
            {
                "symbol": symbol, "priceChange": "0.00000000", "priceChangePercent": "0.000",
                "weightedAvgPrice": p, "prevClosePrice": p, "lastPrice": p, "lastQty": "0.10000000",
                "bidPrice": p, "bidQty": "1.00000000", "askPrice": p, "askQty": "1.00000000", "openPrice": p,
                "highPrice": p, "lowPrice": p, "volume": "100.00000000", "quoteVolume": "4200000.00000000",
                "openTime": now - 86_400_000, "closeTime": now, "firstId": 1, "lastId": 2, "count": 2,
            }
        )  # fmt: skip

    async def klines(self, request: web.Request) -> web.Response:
        price = self.account.prices[request.query.get("symbol", "BTCUSDT")]
        if "startTime" in request.query or "endTime" in request.query:  # history, page by page (download)
            try:
                return web.json_response(self.history.answer(request.query, price))
            except KlinesRefused as refused:
                return web.json_response({"code": refused.code, "msg": str(refused)}, status=400)
        # The most recent candles, always starting at the account's price (live polling tests rely on it).
        limit, minute = int(request.query.get("limit", "500")), 60_000
        end = int(time.time() * 1000) // minute * minute  # the candle opening now is still forming
        series = itertools.islice(synthetic_series(1, price, 60, start_ms=end - limit * minute), limit)
        return web.json_response([self._kline(c) for c in series])

    @staticmethod
    def _kline(c: Candle) -> list[Any]:
        return [c.timestamp_ms, str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume),
                c.timestamp_ms + 59_999, "0", 10, "0", "0", "0"]  # fmt: skip

    async def account_info(self, request: web.Request) -> web.Response:
        rate = f"{self.account.fee_rate:.8f}"
        return web.json_response(
            {
                "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "commissionRates": {"maker": rate, "taker": rate, "buyer": "0.00000000", "seller": "0.00000000"},
                "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
                "requireSelfTradePrevention": False, "preventSor": False, "updateTime": int(time.time() * 1000),
                "accountType": "SPOT", "balances": self.account.balances(), "permissions": ["SPOT"], "uid": 365859102,
            }
        )  # fmt: skip

    async def new_order(self, request: web.Request) -> web.Response:
        form = await self._params(request)
        order = self.account.place(
            form["symbol"],
            form["side"],
            form["type"],
            Decimal(form["quantity"]),
            Decimal(form.get("price", "0")),
            form.get("newClientOrderId") or f"web_{int(time.time() * 1000)}",
        )
        fills = [t.fill_entry() for t in self.account.trades if t.order is order]
        answer = order.to_binance() | {"transactTime": order.time, "fills": fills}
        for key in ("time", "updateTime", "isWorking", "stopPrice", "icebergQty"):
            answer.pop(key)
        return web.json_response(answer)

    def _order(self, params: dict[str, str]) -> StubOrder:
        order = self.account.find(params["symbol"], params.get("orderId"), params.get("origClientOrderId"))
        if order is None:
            raise BinanceError(*NO_SUCH_ORDER)
        return order

    async def query_order(self, request: web.Request) -> web.Response:
        if self.hide_orders > 0:
            self.hide_orders -= 1
            raise BinanceError(*NO_SUCH_ORDER)
        return web.json_response(self._order(await self._params(request)).to_binance())

    async def cancel_order(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        order = self._order(params)
        self.account.cancel(order)
        answer = order.to_binance() | {"origClientOrderId": order.client_id, "transactTime": order.update_time}
        return web.json_response({k: v for k, v in answer.items() if k not in ("time", "updateTime", "isWorking")})

    async def open_orders(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol")
        live = [
            o for o in self.account.orders if o.status in ("NEW", "PARTIALLY_FILLED") and symbol in (None, o.symbol)
        ]
        return web.json_response([o.to_binance() for o in live])

    async def cancel_open_orders(self, request: web.Request) -> web.Response:
        symbol = (await self._params(request))["symbol"]
        canceled = []
        for order in self.account.orders:
            if order.symbol == symbol and order.status in ("NEW", "PARTIALLY_FILLED"):
                self.account.cancel(order)
                canceled.append(order.to_binance() | {"origClientOrderId": order.client_id})
        return web.json_response(canceled)

    async def my_trades(self, request: web.Request) -> web.Response:
        q = request.query
        trades = [t for t in self.account.trades if t.order.symbol == q["symbol"]]
        if "orderId" in q:
            trades = [t for t in trades if str(t.order.order_id) == q["orderId"]]
        if "fromId" in q:
            trades = [t for t in trades if t.id >= int(q["fromId"])]
        return web.json_response([t.to_binance() for t in trades[: int(q.get("limit", "500"))]])
