from __future__ import annotations

from decimal import Decimal as D

from tradewire_trader.candles import Candle
from tradewire_trader.strategies import RsiReversion
from tradewire_trader.strategies.rsi_reversion import Rsi


def test_rsi_follows_wilders_smoothing() -> None:
    rsi = Rsi(2)
    assert rsi.push(D(10)) is None
    assert rsi.push(D(12)) is None
    # changes +2, -1: average gain 1, loss 0.5 -> RS 2 -> RSI 100 - 100/3
    assert rsi.push(D(11)) == D(100) - D(100) / D(3)
    # next change +3: gain (1x1 + 3)/2 = 2, loss (0.5x1 + 0)/2 = 0.25 -> RS 8 -> 100 - 100/9
    assert rsi.push(D(14)) == D(100) - D(100) / D(9)


def test_buys_when_oversold_and_sells_when_overbought() -> None:
    strategy = RsiReversion(3, D(30), D(70), D("0.1"))
    position = D(0)
    sides = []
    for i, close in enumerate([100, 98, 96, 94, 92, 95, 99, 104, 110]):
        intent = strategy.on_candle(Candle(i, D(close), D(close), D(close), D(close), D(1)), position)
        if intent is not None:
            sides.append((close, intent.side))
            position = intent.amount if intent.side == "buy" else D(0)
    # three falls: RSI 0 -> buy at 94; at 99 RSI is 100 - 100/(1 + 2/(8/9)) = 69.2, not yet above 70;
    # at 104 gain 3, loss 16/27 -> RSI 83.5 -> sell
    assert sides == [(94, "buy"), (104, "sell")]
