"""`on_tick` gives exactly what ccxt's `decimal_to_precision` gives in Binance's mode (TICK_SIZE, no
padding): truncated amounts and half-up prices, the same value and the same digits, over many values and
ticks; and every market's `amount` and `price` equal ccxt's `amount_to_precision` and `price_to_precision`,
refusals included."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal as D

import ccxt
import pytest
from ccxt.base.decimal_to_precision import NO_PADDING, ROUND, TICK_SIZE, TRUNCATE, decimal_to_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewire_trader.markets import MarketRules, _fixture_exchange, fixture_markets, on_tick

# The fixture's ticks and steps as ccxt holds them (floats), and others exchanges use.
TICKS = [0.01, 0.0001, 1e-05, 0.001, 0.1, 1.0, 1e-08, 0.5, 0.05, 0.25, 5.0, 10.0, 100.0, 0.00025]
values = st.decimals(min_value="0.000000001", max_value="999999999", places=12, allow_nan=False, allow_infinity=False)


def ccxts(value: D, tick: float, half_up: bool) -> str:
    with decimal.localcontext():  # ccxt sets the thread's rounding and traps: keep them to this call
        return decimal_to_precision(str(value), ROUND if half_up else TRUNCATE, tick, TICK_SIZE, NO_PADDING)


def check(value: D, tick: float, half_up: bool) -> None:
    ours = on_tick(value, D(str(tick)), half_up=half_up)
    theirs = ccxts(value, tick, half_up)
    if ours is None:  # left to ccxt: only where the result is zero (or the value out of range)
        assert D(theirs) == 0 or not (0 < value < D(10) ** 15)
    else:
        assert ours.as_tuple() == D(theirs).as_tuple(), (value, tick, half_up)  # same digits, same exponent


@settings(max_examples=400, deadline=None)
@given(value=values, tick=st.sampled_from(TICKS), half_up=st.booleans())
def test_on_tick_equals_ccxt_for_generated_values(value: D, tick: float, half_up: bool) -> None:
    check(value, tick, half_up)


def test_on_tick_equals_ccxt_on_halves_multiples_and_their_neighbours() -> None:
    checked = 0
    for tick in TICKS:
        step = D(str(tick))
        for multiple in (1, 2, 3, 7, 10, 99, 1000, 4321, 123457):
            exact = step * multiple
            for value in (exact, exact + step / 2, exact - step / 2, exact + D("1e-12"), exact - D("1e-12"), step / 3):
                for half_up in (False, True):
                    if value > 0:
                        check(value, tick, half_up)
                        checked += 1
    assert checked > 1000


def outcome(call: Callable[..., object], *args: object) -> object:
    """The digits of the answer, or the refusal's class and words."""
    with decimal.localcontext():
        try:
            return D(str(call(*args))).as_tuple()
        except ccxt.InvalidOrder as refused:
            return type(refused), str(refused)


def test_every_market_rounds_amounts_and_prices_as_ccxt_does() -> None:
    exchange = _fixture_exchange()
    compared = 0
    for symbol in [market["symbol"] for market in fixture_markets()]:
        rules = MarketRules.from_fixture(symbol)
        for text in ("0.123456789", "1", "1.5", "42000.12345", "37.0049999", "0.00049", "100000.995", "0.6"):
            assert outcome(rules.price, D(text)) == outcome(exchange.price_to_precision, symbol, text)
            theirs = outcome(exchange.amount_to_precision, symbol, text)
            if isinstance(theirs, decimal.DecimalTuple) and D(theirs) < rules.min_amount:
                continue  # below the market's minimum: ours refuses with its own words (test_markets.py)
            assert outcome(rules.amount, D(text)) == theirs
            compared += 1
    assert compared > 30


def test_amounts_that_round_to_nothing_get_ccxts_refusal() -> None:
    rules = MarketRules.from_fixture("BTC/USDT")
    with pytest.raises(ccxt.InvalidOrder, match="must be greater than minimum amount precision"):
        rules.amount(D("0.000001"))
    with pytest.raises(ccxt.InvalidOrder, match="must be greater than minimum price precision"):
        rules.price(D("0.001"))
