"""A local stand-in for Binance's spot REST API, for running live mode offline (tests and demos).

It answers in Binance's real format (exchangeInfo, ticker/24hr, klines, account, order), so ccxt's
own parsing and error mapping run against it. It does not check signatures. Faults can be switched
on: insufficient funds (-2010), HTTP 429, and a slow order endpoint (to provoke a client timeout).

    stub = BinanceStub(); await stub.start(); ... stub.url ...; await stub.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from tradewire_trader.candles import Candle
from tradewire_trader.market_data import synthetic_series

INSUFFICIENT = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
TOO_MANY = {"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE."}
NO_ORDER = {"code": -2013, "msg": "Order does not exist."}


def _symbol_info(symbol: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "permissions": ["SPOT"],
        "permissionSets": [["SPOT"]],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.00", "stepSize": "0.00001"},
            {
                "filterType": "NOTIONAL",
                "minNotional": "5.00",
                "applyMinToMarket": True,
                "maxNotional": "9000000.00",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
    }


@dataclass
class BinanceStub:
    balances: dict[str, Decimal] = field(default_factory=lambda: {"USDT": Decimal("10000"), "BTC": Decimal("0")})
    price: Decimal = Decimal("42000.00")
    fee_rate: Decimal = Decimal("0.001")
    insufficient_funds: bool = False
    rate_limited_requests: int = 0  # the next N requests get HTTP 429
    order_delay_s: float = 0.0  # the order is placed, but the answer comes this late
    requests: list[str] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # by client order id
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._faults])
        app.router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        app.router.add_get("/api/v3/ticker/24hr", self.ticker)
        app.router.add_get("/api/v3/klines", self.klines)
        app.router.add_get("/api/v3/account", self.account)
        app.router.add_post("/api/v3/order", self.new_order)
        app.router.add_get("/api/v3/order", self.query_order)
        app.router.add_get("/api/v3/time", self.server_time)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _faults(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if self.rate_limited_requests > 0:
            self.rate_limited_requests -= 1
            return web.json_response(TOO_MANY, status=429)
        response: web.StreamResponse = await handler(request)
        return response

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def exchange_info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [_symbol_info("BTCUSDT", "BTC", "USDT"), _symbol_info("ETHUSDT", "ETH", "USDT")],
            }
        )

    async def ticker(self, request: web.Request) -> web.Response:
        now, p = int(time.time() * 1000), str(self.price)
        return web.json_response(
            {
                "symbol": request.query.get("symbol", "BTCUSDT"),
                "priceChange": "0",
                "priceChangePercent": "0",
                "weightedAvgPrice": p,
                "prevClosePrice": p,
                "lastPrice": p,
                "lastQty": "0.1",
                "bidPrice": p,
                "bidQty": "1",
                "askPrice": p,
                "askQty": "1",
                "openPrice": p,
                "highPrice": p,
                "lowPrice": p,
                "volume": "100",
                "quoteVolume": "4200000",
                "openTime": now - 86_400_000,
                "closeTime": now,
                "firstId": 1,
                "lastId": 2,
                "count": 2,
            }
        )

    async def klines(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "500"))
        minute = 60_000
        end = int(time.time() * 1000) // minute * minute  # the candle opening now is still forming
        series = itertools.islice(synthetic_series(1, self.price, 60, start_ms=end - limit * minute), limit)
        return web.json_response([self._kline(c) for c in series])

    @staticmethod
    def _kline(c: Candle) -> list[Any]:
        return [
            c.timestamp_ms,
            str(c.open),
            str(c.high),
            str(c.low),
            str(c.close),
            str(c.volume),
            c.timestamp_ms + 59_999,
            "0",
            10,
            "0",
            "0",
            "0",
        ]

    async def account(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": False,
                "canDeposit": False,
                "updateTime": int(time.time() * 1000),
                "accountType": "SPOT",
                "permissions": ["SPOT"],
                "balances": [{"asset": a, "free": str(v), "locked": "0.00000000"} for a, v in self.balances.items()],
            }
        )

    async def new_order(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) | dict(request.query)
        if self.insufficient_funds:
            return web.json_response(INSUFFICIENT, status=400)
        side, qty = str(form["side"]), Decimal(str(form["quantity"]))
        cost = qty * self.price
        fee = cost * self.fee_rate
        base, quote = "BTC", "USDT"
        if (side == "BUY" and self.balances[quote] < cost + fee) or (side == "SELL" and self.balances[base] < qty):
            return web.json_response(INSUFFICIENT, status=400)
        sign = 1 if side == "BUY" else -1
        self.balances[base] += sign * qty
        self.balances[quote] -= sign * cost + fee
        now = int(time.time() * 1000)
        order = {
            "symbol": form["symbol"],
            "orderId": next(self._ids),
            "orderListId": -1,
            "clientOrderId": form.get("newClientOrderId", f"stub{now}"),
            "transactTime": now,
            "price": "0.00000000",
            "origQty": str(qty),
            "executedQty": str(qty),
            "cummulativeQuoteQty": str(cost),
            "status": "FILLED",
            "timeInForce": "GTC",
            "type": form["type"],
            "side": side,
            "workingTime": now,
            "selfTradePreventionMode": "NONE",
            "fills": [
                {
                    "price": str(self.price),
                    "qty": str(qty),
                    "commission": str(fee),
                    "commissionAsset": quote,
                    "tradeId": next(self._ids),
                }
            ],
        }
        self.orders[str(order["clientOrderId"])] = order
        if self.order_delay_s:
            await asyncio.sleep(self.order_delay_s)  # placed, but the client gives up waiting
        return web.json_response(order)

    async def query_order(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.query.get("origClientOrderId", ""))
        if order is None:
            order = next((o for o in self.orders.values() if str(o["orderId"]) == request.query.get("orderId")), None)
        if order is None:
            return web.json_response(NO_ORDER, status=400)
        return web.json_response(
            {k: v for k, v in order.items() if k != "fills"}
            | {"time": order["transactTime"], "updateTime": order["transactTime"], "isWorking": True}
        )
