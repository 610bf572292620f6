"""The paper exchange: ccxt's method names, order and balance structures and exception classes.

The fill model (docs/trader.md, "Paper exchange", states it with its sources):
- A market order fills on the next candle at its open, moved against the order by `slippage` plus
  `impact` x (amount / candle volume), at most `max_slippage`, and never outside the candle's low-high.
- At most `volume_share` of a candle's volume fills per candle; the rest stays open for the next ones.
- A limit order that is marketable when placed takes at market (as above, never beyond its limit) with
  the taker fee; otherwise it rests and fills at its limit with the maker fee once a candle reaches it.
- Minimum and maximum amount and order value are checked again at the fill price; a refusal at fill time
  is kept in `rejections` for the engine to publish. Funds are held while an order is open.
- Any market of the shipped markets file may be traded, several at once from one wallet (one quote
  currency); each order is rounded and checked against its own market's precision and limits.
- Fees are charged in the quote currency on both sides, or, with `fee_side="get"`, in the coin received
  (base on a buy, quote on a sell, rounded down to 8 decimals) as Binance charges them, so paper and live
  books differ only by the market.
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
        rules: MarketRules | list[MarketRules],
        balances: Balances,
        *,
        taker_fee: Decimal,
        maker_fee: Decimal,
        slippage: Decimal,
        fee_side: Literal["quote", "get"] = "quote",
        impact: Decimal = Decimal("0.05"),
        max_slippage: Decimal = Decimal("0.03"),
        volume_share: Decimal = Decimal("0.25"),
        orders: list[Order] | None = None,
        next_order_number: int = 1,
        last_price: Decimal | None = None,
    ) -> None:
        markets = rules if isinstance(rules, list) else [rules]
        self.markets = {market.symbol: market for market in markets}
        self.rules = markets[0]  # the first market: what a one-symbol bot trades
        if len({market.quote for market in markets}) > 1:
            raise ValueError(f"one wallet, one quote currency: {', '.join(self.markets)} do not share one")
        self.balances = balances
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.slippage = slippage
        self.impact, self.max_slippage, self.volume_share = impact, max(max_slippage, slippage), volume_share
        self.rejections: list[Order] = []
        self.fee_side = fee_side
        self.open_orders: dict[str, Order] = {order.id: order for order in orders or []}
        self.next_order_number = next_order_number
        self.last_price = last_price  # of the first market; every market's is in last_prices
        self.last_prices: dict[str, Decimal] = {} if last_price is None else {self.rules.symbol: last_price}
        self.last_timestamp_ms = 0
        self.base, self.quote_currency = self.rules.base, self.rules.quote
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

    def bid_ask(self, last: Decimal, symbol: str | None = None) -> tuple[Decimal, Decimal]:
        rules = self.rules if symbol is None else self.markets[symbol]
        return rules.display_price(last * (1 - self.slippage)), rules.display_price(last * (1 + self.slippage))

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
        rules = self.markets.get(symbol)
        if rules is None:
            raise ccxt.BadSymbol(f"this paper exchange trades {', '.join(self.markets)}, not {symbol}")
        if type not in ("market", "limit") or side not in ("buy", "sell"):
            raise ccxt.InvalidOrder(f"unsupported order {type} {side}")
        amount = rules.amount(Decimal(amount))
        taker = type == "market"
        if type == "limit":
            if price is None or Decimal(price) <= 0:
                raise ccxt.InvalidOrder("a limit order needs a positive price")
            price = rules.limit_price(Decimal(price))
            reference = price
            # Marketable when placed (a buy at or above the last price, a sell at or below): it takes
            # liquidity at market, with the taker fee, as on an exchange; otherwise it rests as a maker.
            last = self.last_prices.get(symbol)
            taker = last is not None and (price >= last if side == "buy" else price <= last)
        else:
            last = self.last_prices.get(symbol)
            if last is None:
                raise ccxt.InvalidOrder(f"no {symbol} price yet: a market order needs at least one candle")
            price, reference = None, last
        rules.check_cost(amount, reference)
        if side == "buy":
            fee_rate = self.taker_fee if taker else self.maker_fee
            worst = reference if type == "limit" else reference * (1 + self.max_slippage)
            reserved, currency = amount * worst * (1 + fee_rate), self.quote_currency
        else:
            reserved, currency = amount, rules.base
        free = self.balances.free.get(currency, ZERO)
        if free < reserved:
            raise ccxt.InsufficientFunds(
                f"{side} {amount} {rules.base} needs {reserved} {currency} free, only {free} available"
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
            taker=taker,
        )
        self.next_order_number += 1
        self.open_orders[order.id] = order
        return order

    def match(self, candle: Candle) -> list[Fill]:
        """Fill the open orders of the candle's market it reaches; then remember its close as the last price."""
        fills: list[Fill] = []
        symbol = candle.symbol or self.rules.symbol
        if self.open_orders:
            for order in list(self.open_orders.values()):
                if order.symbol == symbol:
                    fill = self._try_fill(order, candle)
                    if fill is not None:
                        fills.append(fill)
        self.last_prices[symbol] = candle.close
        if symbol == self.rules.symbol:
            self.last_price = candle.close
        self.last_timestamp_ms = candle.timestamp_ms
        return fills

    async def settle(self, candle: Candle) -> list[Fill]:
        return self.match(candle)

    def _fill_terms(self, order: Order, candle: Candle) -> tuple[Decimal, Decimal, bool] | None:
        """(amount, price, taker) this candle fills of the order, or None when it does not reach it."""
        remaining = order.amount - order.filled
        buy = order.side == "buy"
        if order.type == "limit" and not order.taker:  # resting: at the limit, only if the range reaches it
            assert order.price is not None
            if not (candle.low <= order.price if buy else candle.high >= order.price):
                return None
            return self._capped(remaining, candle), order.price, False
        amount = self._capped(remaining, candle)
        if amount <= 0:
            return None
        share = amount / candle.volume if candle.volume else Decimal(1)
        slip = min(self.slippage + self.impact * share, self.max_slippage)
        price = candle.open * (1 + slip) if buy else candle.open * (1 - slip)
        price = min(max(price, candle.low), candle.high)  # a market fill is never outside the candle's range
        if order.price is not None:  # a marketable limit takes at market, but never beyond its limit
            if (buy and candle.low > order.price) or (not buy and candle.high < order.price):
                return None
            price = min(price, order.price) if buy else max(price, order.price)
        return amount, self.markets[order.symbol].price_within(price, candle.low, candle.high), True

    def _capped(self, remaining: Decimal, candle: Candle) -> Decimal:
        """At most `volume_share` of the candle's volume fills per candle; the rest waits for the next."""
        if self.volume_share <= 0 or remaining <= candle.volume * self.volume_share:
            return remaining
        return self.markets[candle.symbol or self.rules.symbol].floor_amount(candle.volume * self.volume_share)

    def _try_fill(self, order: Order, candle: Candle) -> Fill | None:
        terms = self._fill_terms(order, candle)
        if terms is None:
            return None
        amount, price, taker = terms
        if amount <= 0:
            return None
        rate = self.taker_fee if taker else self.maker_fee
        rules = self.markets[order.symbol]
        base = rules.base
        cost = price * amount
        fee = cost * rate
        base_fee = ZERO  # with fee_side "get" a buy's fee comes out of the coins it brings
        if self.fee_side == "get" and order.side == "buy":
            fee = base_fee = (amount * rate).quantize(EIGHT, rounding=ROUND_DOWN)
        elif self.fee_side == "get":
            fee = fee.quantize(EIGHT, rounding=ROUND_DOWN)
        fee_currency = base if base_fee else self.quote_currency
        quote_fee = ZERO if base_fee else fee
        last_part = order.filled + amount >= order.amount
        held = order.reserved if last_part else (order.reserved * amount / (order.amount - order.filled))
        self._release(order, held)
        problem = rules.problem_at_fill(amount, price)  # the exchange checks its limits at the fill price
        free_quote = self.balances.free.get(self.quote_currency, ZERO)
        if problem is None and order.side == "buy" and free_quote < cost + quote_fee:
            # the market gapped past what was held: refuse, as an exchange would
            problem = f"needs {cost + quote_fee} {self.quote_currency} at {price}, {free_quote} available"
        if problem is not None:
            self._reject(order, problem)
            return None
        if order.side == "buy":
            self.balances.free[self.quote_currency] = free_quote - cost - quote_fee
            self.balances.free[base] = self.balances.free.get(base, ZERO) + amount - base_fee
        else:
            self.balances.free[base] = self.balances.free.get(base, ZERO) - amount
            self.balances.free[self.quote_currency] = self.balances.free.get(self.quote_currency, ZERO) + cost - fee
        before = (order.average or ZERO) * order.filled
        order.average = (before + cost) / (order.filled + amount)
        order.filled += amount
        order.fee, order.fee_currency = order.fee + fee, fee_currency
        if last_part:
            order.status = "closed"
            del self.open_orders[order.id]
        return Fill(order.id, order.symbol, order.side, price, amount, fee, fee_currency, candle.timestamp_ms, taker)

    def _reject(self, order: Order, reason: str) -> None:
        self._release(order, order.reserved)
        del self.open_orders[order.id]
        order.status, order.reason = "rejected", reason
        log.warning("paper order %s rejected at fill: %s", order.id, reason)
        self.rejections.append(order)

    def take_rejections(self) -> list[Order]:
        """Orders refused at fill time since the last call (the engine publishes each)."""
        taken = self.rejections
        if taken:  # asked once per candle: no new list while there is nothing to take
            self.rejections = []
        return taken

    def _release(self, order: Order, amount: Decimal | None = None) -> None:
        """Give back what the order holds (all of it, or `amount` of it after a partial fill)."""
        amount = order.reserved if amount is None else amount
        currency = self.quote_currency if order.side == "buy" else self.markets[order.symbol].base
        self.balances.used[currency] = self.balances.used.get(currency, ZERO) - amount
        self.balances.free[currency] = self.balances.free.get(currency, ZERO) + amount
        order.reserved -= amount

    def state(self) -> dict[str, Any]:
        return {
            "balances": self.balances.to_json(),
            "orders": [order.to_json() for order in self.open_orders.values()],
            "next_order_number": self.next_order_number,
            "last_price": None if self.last_price is None else str(self.last_price),
            "last_prices": {symbol: str(price) for symbol, price in self.last_prices.items()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.balances = Balances.from_json(state["balances"])
        self.open_orders = {o["id"]: Order.from_json(o) for o in state["orders"]}
        self.next_order_number = state["next_order_number"]
        self.last_price = None if state["last_price"] is None else Decimal(state["last_price"])
        self.last_prices = {symbol: Decimal(price) for symbol, price in state.get("last_prices", {}).items()}
        if self.last_price is not None:
            self.last_prices.setdefault(self.rules.symbol, self.last_price)
