"""Sizing and market limits as properties: what an entry buys, and what the paper exchange lets through."""

from __future__ import annotations

from decimal import Decimal as D

import ccxt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances
from tradewire_trader.paper_exchange import PaperExchange
from tradewire_trader.sizing import Sizing, entry_amount
from tradewire_trader.strategies import Intent, enter

prices = st.decimals(min_value="0.01", max_value=200_000, places=2)
money = st.decimals(min_value=1, max_value=10**7, places=2)


@given(price=prices, stake=money, equity=money, pct=st.decimals(min_value="0.1", max_value=100, places=1))
def test_a_stake_buys_its_worth_and_a_share_of_equity_its_share(price: D, stake: D, equity: D, pct: D) -> None:
    assert entry_amount(enter(), Sizing("stake", stake), price, equity) * price == pytest.approx(stake)
    assert entry_amount(enter(), Sizing("percent", pct), price, equity) * price == pytest.approx(equity * pct / 100)
    assert entry_amount(enter(), Sizing("amount", D("0.5")), price, equity) == D("0.5")
    # the intent's own size wins over the bot's setting
    assert entry_amount(enter(amount=D(2)), Sizing("stake", stake), price, equity) == D(2)
    assert entry_amount(Intent("buy", stake=stake), Sizing("amount", D(1)), price, equity) * price == pytest.approx(
        stake
    )


@settings(max_examples=300, deadline=None)
@given(
    symbol=st.sampled_from(["BTC/USDT", "ETH/USDT", "SOL/USDT"]),
    amount=st.decimals(min_value="0.000001", max_value=20_000, places=6),
    price=prices,
    limit=st.booleans(),
    move=st.decimals(min_value=-20, max_value=20, places=1),
)
def test_what_passes_is_on_the_step_and_inside_every_limit_when_placed_and_when_filled(
    symbol: str, amount: D, price: D, limit: bool, move: D
) -> None:
    rules = MarketRules.from_fixture(symbol)
    base, quote = symbol.split("/")
    paper = PaperExchange(
        rules, Balances(free={quote: D(10**9), base: D(10**5)}), taker_fee=D("0.001"), maker_fee=D("0.001"),
        slippage=D("0.0005"),
    )  # fmt: skip
    paper.match(Candle(0, price, price, price, price, D(10**6)))
    try:
        order = paper.place(symbol, "limit" if limit else "market", "buy", amount, price if limit else None)
    except (ccxt.InvalidOrder, ccxt.InsufficientFunds) as refused:
        assert str(refused)  # refused with a reason, and nothing held
        assert paper.balances.used.get(quote, D(0)) == 0
        return
    assert order.amount <= amount and rules.floor_amount(order.amount) == order.amount
    assert rules.min_amount <= order.amount <= rules.max_amount
    assert rules.min_cost <= order.amount * price <= rules.max_cost
    later = max(D("0.01"), price * (1 + move / 100))
    fills = paper.match(Candle(60_000, later, later * D("1.01"), later * D("0.99"), later, D(10**6)))
    for fill in fills:
        assert rules.problem_at_fill(fill.amount, fill.price) is None
    for refused in paper.take_rejections():
        assert refused.reason and refused.status == "rejected"
    assert all(v >= 0 for v in (*paper.balances.free.values(), *paper.balances.used.values()))
