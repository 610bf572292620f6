"""The paper exchange: ccxt's method names, order and balance structures and exception classes.

Market orders fill at the next candle's open plus slippage, with the taker fee. Limit orders fill at
their limit once a candle trades through it, with the maker fee. Funds are held while an order is
open. Orders fill completely or not at all. Fees are charged in the quote currency on both sides, or, with
`fee_side="get"`, in the coin received (base on a buy, quote on a sell, rounded down to 8 decimals) as
Binance charges them, so paper and live books differ only by the market.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

import ccxt  # type: ignore[import-untyped]

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill, Order, OrderSide, OrderType

log = logging.getLogger("tradewire.trader.paper")
ZERO = Decimal(0)
EIGHT = Decimal("0.00000001")


class PaperExchange:
    def __init__(
        self,
        rules: MarketRules,
        balances: Balances,
        *,
        taker_fee: Decimal,
        maker_fee: Decimal,
        slippage: Decimal,
        fee_side: Literal["quote", "get"] = "quote",
        orders: list[Order] | None = None,
        next_order_number: int = 1,
        last_price: Decimal | None = None,
    ) -> None:
        self.rules = rules
        self.balances = balances
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.slippage = slippage
        self.fee_side = fee_side
        self.open_orders: dict[str, Order] = {order.id: order for order in orders or []}
        self.next_order_number = next_order_number
        self.last_price = last_price
        self.last_timestamp_ms = 0
        base, quote = rules.symbol.split("/")
        self.base, self.quote_currency = base, quote
        self.checkpoint: Callable[[], None] = lambda: None  # paper orders need no save of their own

    # --- ccxt's interface -------------------------------------------------------------------------
    async def create_order(
        self,
        symbol: str,
        type: OrderType,
        side: OrderSide,
        amount: Decimal,
        price: Decimal | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        client_order_id: str | None = (params or {}).get("clientOrderId")
        return self.place(symbol, type, side, amount, price, client_order_id).to_ccxt()

    async def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        order = self.open_orders.pop(id, None)
        if order is None:
            raise ccxt.OrderNotFound(f"paper order {id} is not open")
        self._release(order)
        order.status = "canceled"
        return order.to_ccxt()

    async def follow_orders(self) -> list[Fill]:
        return []  # paper fills happen in `settle`, never in between

    def bid_ask(self, last: Decimal) -> tuple[Decimal, Decimal]:
        return self.rules.display_price(last * (1 - self.slippage)), self.rules.display_price(
            last * (1 + self.slippage)
        )

    # --- the simulation ---------------------------------------------------------------------------
    def place(
        self,
        symbol: str,
        type: OrderType,
        side: OrderSide,
        amount: Decimal,
        price: Decimal | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        if symbol != self.rules.symbol:
            raise ccxt.BadSymbol(f"this paper exchange trades {self.rules.symbol}, not {symbol}")
        if type not in ("market", "limit") or side not in ("buy", "sell"):
            raise ccxt.InvalidOrder(f"unsupported order {type} {side}")
        amount = self.rules.amount(Decimal(amount))
        if type == "limit":
            if price is None or Decimal(price) <= 0:
                raise ccxt.InvalidOrder("a limit order needs a positive price")
            price = self.rules.price(Decimal(price))
            reference = price
        else:
            if self.last_price is None:
                raise ccxt.InvalidOrder("no market price yet: a market order needs at least one candle")
            price, reference = None, self.last_price
        self.rules.check_cost(amount, reference)
        if side == "buy":
            fee_rate = self.maker_fee if type == "limit" else self.taker_fee
            worst = reference if type == "limit" else reference * (1 + self.slippage)
            reserved, currency = amount * worst * (1 + fee_rate), self.quote_currency
        else:
            reserved, currency = amount, self.base
        free = self.balances.free.get(currency, ZERO)
        if free < reserved:
            raise ccxt.InsufficientFunds(
                f"{side} {amount} {self.base} needs {reserved} {currency} free, only {free} available"
            )
        self.balances.free[currency] = free - reserved
        self.balances.used[currency] = self.balances.used.get(currency, ZERO) + reserved
        order = Order(
            id=f"paper-{self.next_order_number}",
            client_order_id=client_order_id or uuid.uuid4().hex,
            symbol=symbol,
            type=type,
            side=side,
            amount=amount,
            price=price,
            reserved=reserved,
            timestamp_ms=self.last_timestamp_ms,
        )
        self.next_order_number += 1
        self.open_orders[order.id] = order
        return order

    def match(self, candle: Candle) -> list[Fill]:
        """Fill the open orders this candle reaches; then remember its close as the last price."""
        fills: list[Fill] = []
        if self.open_orders:
            for order in list(self.open_orders.values()):
                fill = self._try_fill(order, candle)
                if fill is not None:
                    fills.append(fill)
        self.last_price = candle.close
        self.last_timestamp_ms = candle.timestamp_ms
        return fills

    async def settle(self, candle: Candle) -> list[Fill]:
        return self.match(candle)

    def _try_fill(self, order: Order, candle: Candle) -> Fill | None:
        if order.type == "market":
            direction = 1 if order.side == "buy" else -1
            price = self.rules.price(candle.open * (1 + direction * self.slippage))
            rate, taker = self.taker_fee, True
        else:
            assert order.price is not None
            crossed = candle.low <= order.price if order.side == "buy" else candle.high >= order.price
            if not crossed:
                return None
            price, rate, taker = order.price, self.maker_fee, False
        cost = price * order.amount
        fee = cost * rate
        base_fee = ZERO  # with fee_side "get" a buy's fee comes out of the coins it brings
        if self.fee_side == "get" and order.side == "buy":
            fee = base_fee = (order.amount * rate).quantize(EIGHT, rounding=ROUND_DOWN)
        elif self.fee_side == "get":
            fee = fee.quantize(EIGHT, rounding=ROUND_DOWN)
        fee_currency = self.base if base_fee else self.quote_currency
        quote_fee = ZERO if base_fee else fee
        del self.open_orders[order.id]
        self._release(order)
        if order.side == "buy":
            free_quote = self.balances.free.get(self.quote_currency, ZERO)
            if free_quote < cost + quote_fee:  # the market gapped past what was held: refuse, as an exchange would
                order.status, order.reason = (
                    "rejected",
                    f"needs {cost + quote_fee} {self.quote_currency}, {free_quote} available",
                )
                log.warning("paper order %s rejected at fill: %s", order.id, order.reason)
                return None
            self.balances.free[self.quote_currency] = free_quote - cost - quote_fee
            self.balances.free[self.base] = self.balances.free.get(self.base, ZERO) + order.amount - base_fee
        else:
            self.balances.free[self.base] = self.balances.free.get(self.base, ZERO) - order.amount
            self.balances.free[self.quote_currency] = self.balances.free.get(self.quote_currency, ZERO) + cost - fee
        order.status, order.filled, order.average = "closed", order.amount, price
        order.fee, order.fee_currency = fee, fee_currency
        return Fill(
            order.id, order.symbol, order.side, price, order.amount, fee, fee_currency, candle.timestamp_ms, taker
        )

    def _release(self, order: Order) -> None:
        currency = self.quote_currency if order.side == "buy" else self.base
        self.balances.used[currency] = self.balances.used.get(currency, ZERO) - order.reserved
        self.balances.free[currency] = self.balances.free.get(currency, ZERO) + order.reserved

    def state(self) -> dict[str, Any]:
        return {
            "balances": self.balances.to_json(),
            "orders": [order.to_json() for order in self.open_orders.values()],
            "next_order_number": self.next_order_number,
            "last_price": None if self.last_price is None else str(self.last_price),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.balances = Balances.from_json(state["balances"])
        self.open_orders = {o["id"]: Order.from_json(o) for o in state["orders"]}
        self.next_order_number = state["next_order_number"]
        self.last_price = None if state["last_price"] is None else Decimal(state["last_price"])
