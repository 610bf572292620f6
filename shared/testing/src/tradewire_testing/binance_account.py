"""The account behind the Binance stub: balances, orders and trades, kept the way Binance keeps them.

What matters for a trader's books, as Binance does it on spot:
- a LIMIT order answers NEW with no fills and fills later (in parts, if the test says so); a MARKET
  order fills at once;
- the commission is taken from the coin received (base on a buy, quote on a sell), or in BNB when
  the account pays fees with BNB; it is rounded down to 8 decimals;
- every fill is a trade in `myTrades` with its own commission; the order query carries none;
- orders are checked against the symbol filters (LOT_SIZE, PRICE_FILTER, NOTIONAL,
  PERCENT_PRICE_BY_SIDE, MARKET_LOT_SIZE) and refused with Binance's codes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from importlib import resources
from typing import Any, Literal

EIGHT = Decimal("0.00000001")
FeeAsset = Literal["received", "BNB"]


class BinanceError(Exception):
    """A refusal in Binance's shape: HTTP status, code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.body = status, {"code": code, "msg": msg}


def exchange_info_symbols() -> list[dict[str, Any]]:
    text = (resources.files("tradewire_testing") / "fixtures" / "binance_exchange_info.json").read_text()
    symbols: list[dict[str, Any]] = json.loads(text)["symbols"]
    return symbols


def _s(value: Decimal) -> str:
    return f"{value:.8f}"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class StubOrder:
    order_id: int
    client_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET
    qty: Decimal
    price: Decimal  # 0 for MARKET
    time: int
    executed: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    status: str = "NEW"
    update_time: int = 0

    def to_binance(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_id,
            "price": _s(self.price),
            "origQty": _s(self.qty),
            "executedQty": _s(self.executed),
            "cummulativeQuoteQty": _s(self.quote),
            "status": self.status,
            "timeInForce": "GTC",
            "type": self.type,
            "side": self.side,
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": True,
            "workingTime": self.time,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }


@dataclass
class StubTrade:
    id: int
    order: StubOrder
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    maker: bool

    def to_binance(self) -> dict[str, Any]:
        return {
            "symbol": self.order.symbol,
            "id": self.id,
            "orderId": self.order.order_id,
            "orderListId": -1,
            "price": _s(self.price),
            "qty": _s(self.qty),
            "quoteQty": _s(self.price * self.qty),
            "commission": _s(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.order.side == "BUY",
            "isMaker": self.maker,
            "isBestMatch": True,
        }

    def fill_entry(self) -> dict[str, Any]:  # as in the `fills` of a FULL order answer
        return {
            "price": _s(self.price),
            "qty": _s(self.qty),
            "commission": _s(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.id,
        }


@dataclass
class BinanceAccount:
    free: dict[str, Decimal] = field(default_factory=lambda: {"USDT": Decimal("10000"), "BTC": Decimal(0)})
    locked: dict[str, Decimal] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(
        default_factory=lambda: {
            "BTCUSDT": Decimal("42000.00"),
            "ETHUSDT": Decimal("3000.00"),
            "BNBUSDT": Decimal("600.00"),
        }
    )
    fee_rate: Decimal = Decimal("0.001")
    fee_asset: FeeAsset = "received"
    market_fill: Decimal = Decimal(1)  # the share of a MARKET order that fills (the rest expires)
    orders: list[StubOrder] = field(default_factory=list)
    trades: list[StubTrade] = field(default_factory=list)
    symbols: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {s["symbol"]: s for s in exchange_info_symbols()}
    )
    _next_order: int = 4_000_000
    _next_trade: int = 300_000

    def total(self, asset: str) -> Decimal:
        return self.free.get(asset, Decimal(0)) + self.locked.get(asset, Decimal(0))

    def _assets(self, symbol: str) -> tuple[str, str]:
        info = self.symbols[symbol]
        return info["baseAsset"], info["quoteAsset"]

    def _filters(self, symbol: str) -> dict[str, dict[str, Any]]:
        return {f["filterType"]: f for f in self.symbols[symbol]["filters"]}

    def check(self, symbol: str, side: str, type: str, qty: Decimal, price: Decimal) -> None:
        """Refuse what Binance's filters refuse, with its codes (-1013 is a filter failure)."""
        if symbol not in self.symbols:
            raise BinanceError(400, -1121, "Invalid symbol.")
        filters, last = self._filters(symbol), self.prices[symbol]
        lot = filters["LOT_SIZE"]
        if qty < Decimal(lot["minQty"]) or qty > Decimal(lot["maxQty"]) or qty % Decimal(lot["stepSize"]):
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if type == "MARKET" and qty > Decimal(filters["MARKET_LOT_SIZE"]["maxQty"]):
            raise BinanceError(400, -1013, "Filter failure: MARKET_LOT_SIZE")
        if type == "LIMIT":
            pf = filters["PRICE_FILTER"]
            if price < Decimal(pf["minPrice"]) or price > Decimal(pf["maxPrice"]) or price % Decimal(pf["tickSize"]):
                raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
            band = filters["PERCENT_PRICE_BY_SIDE"]
            up, down = (
                ("bidMultiplierUp", "bidMultiplierDown") if side == "BUY" else ("askMultiplierUp", "askMultiplierDown")
            )
            if price > last * Decimal(band[up]) or price < last * Decimal(band[down]):
                raise BinanceError(400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE")
        notional = filters["NOTIONAL"]
        if (type == "LIMIT" or notional["applyMinToMarket"]) and qty * (price or last) < Decimal(
            notional["minNotional"]
        ):
            raise BinanceError(400, -1013, "Filter failure: NOTIONAL")

    def place(self, symbol: str, side: str, type: str, qty: Decimal, price: Decimal, client_id: str) -> StubOrder:
        if any(o.client_id == client_id for o in self.orders if o.status in ("NEW", "PARTIALLY_FILLED")):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        self.check(symbol, side, type, qty, price)
        base, quote = self._assets(symbol)
        need_asset, need = (quote, qty * (price or self.prices[symbol])) if side == "BUY" else (base, qty)
        if self.free.get(need_asset, Decimal(0)) < need:
            raise BinanceError(400, -2010, "Account has insufficient balance for requested action.")
        self._next_order += 1
        order = StubOrder(self._next_order, client_id, symbol, side, type, qty, price, now_ms())
        self.orders.append(order)
        if type == "LIMIT":  # the funds are held until it fills or is cancelled
            self._move(need_asset, need, self.free, self.locked)
        else:
            self.fill(order, (qty * self.market_fill).quantize(Decimal(self._filters(symbol)["LOT_SIZE"]["stepSize"])))
            if order.status != "FILLED":
                order.status = "EXPIRED"  # Binance: the unfilled rest of a MARKET order expires
        return order

    def fill(self, order: StubOrder, qty: Decimal, price: Decimal | None = None) -> StubTrade:
        """A trade of `qty` of this order at `price` (its limit, or the market's last price)."""
        base, quote = self._assets(order.symbol)
        price = price or order.price or self.prices[order.symbol]
        cost = price * qty
        maker = order.type == "LIMIT"
        if order.side == "BUY":
            self._take(quote, cost, locked=maker, held=order.price * qty)
            received_asset, received = base, qty
        else:
            self._take(base, qty, locked=maker, held=qty)
            received_asset, received = quote, cost
        if self.fee_asset == "BNB":
            commission_asset = "BNB"
            commission = (cost * self.fee_rate / self.prices["BNBUSDT"]).quantize(EIGHT, rounding=ROUND_DOWN)
            self.free["BNB"] = self.free.get("BNB", Decimal(0)) - commission
        else:
            commission_asset = received_asset
            commission = (received * self.fee_rate).quantize(EIGHT, rounding=ROUND_DOWN)
            received -= commission
        self.free[received_asset] = self.free.get(received_asset, Decimal(0)) + received
        self._next_trade += 1
        trade = StubTrade(self._next_trade, order, price, qty, commission, commission_asset, now_ms(), maker)
        self.trades.append(trade)
        order.executed += qty
        order.quote += cost
        order.status = "FILLED" if order.executed == order.qty else "PARTIALLY_FILLED"
        order.update_time = trade.time
        return trade

    def cancel(self, order: StubOrder) -> None:
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(400, -2011, "Unknown order sent.")
        base, quote = self._assets(order.symbol)
        rest = order.qty - order.executed
        asset, held = (quote, rest * order.price) if order.side == "BUY" else (base, rest)
        self._move(asset, held, self.locked, self.free)
        order.status, order.update_time = "CANCELED", now_ms()

    def _take(self, asset: str, amount: Decimal, *, locked: bool, held: Decimal) -> None:
        if locked:  # a resting order pays from what it holds; a buy filled below its limit frees the rest
            self.locked[asset] -= held
            self.free[asset] = self.free.get(asset, Decimal(0)) + held - amount
        else:
            self.free[asset] -= amount

    @staticmethod
    def _move(asset: str, amount: Decimal, source: dict[str, Decimal], target: dict[str, Decimal]) -> None:
        source[asset] = source.get(asset, Decimal(0)) - amount
        target[asset] = target.get(asset, Decimal(0)) + amount

    def find(self, symbol: str, order_id: str | None, client_id: str | None) -> StubOrder | None:
        for order in self.orders:
            if order.symbol == symbol and (str(order.order_id) == order_id or order.client_id == client_id):
                return order
        return None

    def balances(self) -> list[dict[str, str]]:
        assets = sorted(set(self.free) | set(self.locked))
        return [
            {"asset": a, "free": _s(self.free.get(a, Decimal(0))), "locked": _s(self.locked.get(a, Decimal(0)))}
            for a in assets
        ]
