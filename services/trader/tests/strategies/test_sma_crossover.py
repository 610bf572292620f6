from __future__ import annotations

from decimal import Decimal as D

import pytest

from tradewire_trader.candles import Candle
from tradewire_trader.strategies import SmaCrossover


def closes(*values: int) -> list[Candle]:
    return [Candle(i, D(v), D(v), D(v), D(v), D(1)) for i, v in enumerate(values)]


def test_buys_on_an_upward_cross_and_sells_everything_on_a_downward_cross() -> None:
    strategy = SmaCrossover(2, 3, D("0.5"))
    position = D(0)
    intents = []
    for candle in closes(10, 9, 8, 7, 9, 12, 13, 10, 6):
        intent = strategy.on_candle(candle, position)
        if intent is not None:
            intents.append((candle.close, intent.side, intent.amount))
            position = intent.amount if intent.side == "buy" else D(0)
    # at 9: fast (7+9)/2 = 8, slow (8+7+9)/3 = 8: equal is not above; at 12: 10.5 > 9.33 -> buy;
    # at 10: fast (13+10)/2 = 11.5 < slow (12+13+10)/3 = 11.67 -> sell the whole 0.5
    assert intents == [(D(12), "buy", D("0.5")), (D(10), "sell", D("0.5"))]


def test_does_not_buy_again_while_holding() -> None:
    strategy = SmaCrossover(1, 2, D(1))
    intents = [strategy.on_candle(c, D(1)) for c in closes(5, 4, 6)]
    assert intents == [None, None, None]


def test_rejects_a_fast_window_not_shorter_than_the_slow_one() -> None:
    with pytest.raises(ValueError, match="shorter"):
        SmaCrossover(5, 5, D(1))
