"""Market rules (precision, limits) from the shipped markets file, applied through ccxt's own helpers.

`fixtures/markets.json` is ccxt's `load_markets()` structure for Binance spot markets (markets_file.py
makes it offline from recorded exchangeInfo answers); any symbol in it can be traded on paper.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import cache
from importlib import resources
from typing import Any

import ccxt  # type: ignore[import-untyped]

MARKETS_FIXTURE = "markets.json"
HUGE = Decimal(10) ** 15  # a 28-digit context keeps 13 decimals of any value below this exact


@cache
def _fixture_exchange() -> ccxt.Exchange:
    exchange = ccxt.binance()  # offline: markets come from the file, never from the network
    exchange.set_markets(fixture_markets())
    return exchange


def fixture_markets() -> list[dict[str, Any]]:
    text = (resources.files("tradewire_trader") / "fixtures" / MARKETS_FIXTURE).read_text()
    markets: list[dict[str, Any]] = json.loads(text)
    return markets


def on_tick(value: Decimal, tick: Decimal, *, half_up: bool) -> Decimal | None:
    """What ccxt's `decimal_to_precision` in TICK_SIZE mode without padding gives (the mode of Binance's
    `amount_to_precision`, which truncates, and `price_to_precision`, which rounds half up), as a Decimal,
    computed directly: ccxt's string helpers were ~6 % of a paper replay. None for what this does not
    cover (zero or negative values, results of zero, more digits than the context holds): ccxt then
    answers, errors included. tests/test_markets.py checks both agree over many values and ticks.
    """
    if not (0 < value < HUGE):
        return None
    missing = value % tick
    rounded = value - missing + tick if half_up and missing * 2 >= tick else value - missing
    if not rounded:
        return None
    text = format(rounded, "f")  # no trailing zeros, as ccxt writes it: the same digits in every event
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


class MarketRules:
    """Rounds and checks order amounts and prices the way the exchange would, raising `ccxt.InvalidOrder`."""

    def __init__(self, exchange: ccxt.Exchange, symbol: str) -> None:
        if symbol not in exchange.markets:
            raise ValueError(
                f"{symbol} is not a known market: the markets file has {', '.join(sorted(exchange.markets))}"
            )
        self._exchange = exchange
        self.symbol = symbol
        market = exchange.markets[symbol]
        limits = market["limits"]
        self.min_amount = Decimal(str(limits["amount"]["min"] or 0))
        self.min_cost = Decimal(str(limits["cost"]["min"] or 0))
        self.max_amount = Decimal(str(limits["amount"].get("max") or 0))
        self.max_cost = Decimal(str(limits["cost"].get("max") or 0))
        self.min_price = Decimal(str((limits.get("price") or {}).get("min") or 0))
        self.max_price = Decimal(str((limits.get("price") or {}).get("max") or 0))
        self.base: str = market["base"]
        self.quote: str = market["quote"]
        step = self.amount_step = Decimal(str(market["precision"]["amount"]))
        self._step = step if step.as_tuple().digits == (1,) else None
        tick = self.price_tick = Decimal(str(market["precision"]["price"]))
        # A power-of-ten tick (e.g. 0.01) rounds with one quantize, far cheaper than ccxt's string helpers.
        self._tick = tick if tick.as_tuple().digits == (1,) else None

    @classmethod
    def from_fixture(cls, symbol: str) -> MarketRules:
        return cls(_fixture_exchange(), symbol)

    def amount(self, amount: Decimal) -> Decimal:
        rounded = on_tick(amount, self.amount_step, half_up=False)
        if rounded is None:  # zero, negative or huge: ccxt's own words for it
            rounded = Decimal(self._exchange.amount_to_precision(self.symbol, str(amount)))
        if rounded < self.min_amount:
            raise ccxt.InvalidOrder(f"amount {amount} of {self.symbol} is below the minimum {self.min_amount}")
        return rounded

    def floor_amount(self, amount: Decimal) -> Decimal:
        """The largest amount not above `amount` that an order may carry; 0 when below the minimum."""
        if amount < self.min_amount:
            return Decimal(0)
        if self._step is not None:
            return amount.quantize(self._step, rounding=ROUND_DOWN)
        return Decimal(self._exchange.amount_to_precision(self.symbol, str(amount)))

    def price(self, price: Decimal) -> Decimal:
        rounded = on_tick(price, self.price_tick, half_up=True)
        if rounded is None:
            rounded = Decimal(self._exchange.price_to_precision(self.symbol, str(price)))
        return rounded

    def limit_price(self, price: Decimal) -> Decimal:
        """A limit order's price on the tick, refused outside the market's price limits."""
        rounded = self.price(price)
        if (self.min_price and rounded < self.min_price) or (self.max_price and rounded > self.max_price):
            raise ccxt.InvalidOrder(
                f"price {price} of {self.symbol} is outside the market's limits {self.min_price}-{self.max_price}"
            )
        return rounded

    def display_price(self, price: Decimal) -> Decimal:
        """The price rounded to the tick, for published quotes (orders go through `price`)."""
        if self._tick is None:
            return self.price(price)
        return price.quantize(self._tick, rounding=ROUND_HALF_EVEN)

    def price_within(self, price: Decimal, low: Decimal, high: Decimal) -> Decimal:
        """The price on the tick, kept inside [low, high] (rounding must not push a fill out of the candle)."""
        rounded = self.price(price)
        return rounded if low <= rounded <= high else min(max(price, low), high)

    def problem_at_fill(self, amount: Decimal, price: Decimal) -> str | None:
        """What the exchange would refuse about this fill, checked at the price it fills at, or None."""
        try:
            if amount < self.min_amount:
                raise ccxt.InvalidOrder(f"amount {amount} of {self.symbol} is below the minimum {self.min_amount}")
            self.check_cost(amount, price)
        except ccxt.InvalidOrder as error:
            return str(error)
        return None

    def check_cost(self, amount: Decimal, price: Decimal) -> None:
        if self.max_amount and amount > self.max_amount:
            raise ccxt.InvalidOrder(f"amount {amount} of {self.symbol} is above the maximum {self.max_amount}")
        if self.max_cost and amount * price > self.max_cost:
            raise ccxt.InvalidOrder(
                f"order value {amount * price} of {self.symbol} is above the maximum {self.max_cost}"
            )
        if amount * price < self.min_cost:
            raise ccxt.InvalidOrder(
                f"order value {amount * price} {self.symbol.split('/')[1]} is below the minimum {self.min_cost}"
            )
