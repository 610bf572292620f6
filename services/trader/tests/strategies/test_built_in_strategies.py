"""The three built-in strategies on hand-made series, and the same decisions on a window as on the whole."""

from __future__ import annotations

import itertools
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradewire_trader.strategies.bollinger import BollingerParams, BollingerReversion
from tradewire_trader.strategies.rsi_reversion import RsiParams, RsiReversion
from tradewire_trader.strategies.sma_crossover import SmaCrossover, SmaParams
from tradewire_trader.synthetic import synthetic_series

sys.path.insert(0, str(Path(__file__).parent))
from strategy_runs import closes, decisions


def test_sma_buys_on_an_upward_cross_and_sells_on_a_downward_cross() -> None:
    strategy = SmaCrossover(SmaParams(fast=2, slow=3))
    seen = decisions(strategy, closes(10, 9, 8, 7, 9, 12, 13, 10, 6))
    # at 9: fast (7+9)/2 = 8, slow (8+7+9)/3 = 8: equal is not above; at 12: 10.5 > 9.33 -> buy;
    # at 10: fast (13+10)/2 = 11.5 < slow (12+13+10)/3 = 11.67 -> sell
    assert [(close, side) for close, side, _ in seen] == [(D(12), "buy"), (D(10), "sell")]
    assert seen[0][2] == "SMA2 crossed above SMA3"


def test_sma_does_not_sell_what_it_does_not_hold_nor_buy_twice() -> None:
    strategy = SmaCrossover(SmaParams(fast=1, slow=2))
    seen = decisions(strategy, closes(5, 4, 6, 7, 8, 9))
    assert [side for _, side, _ in seen] == ["buy"]


def test_sma_refuses_a_fast_window_not_shorter_than_the_slow_one() -> None:
    with pytest.raises(ValidationError, match="shorter"):
        SmaParams(fast=5, slow=5)


def test_rsi_buys_when_oversold_and_sells_when_overbought() -> None:
    strategy = RsiReversion(RsiParams(rsi_period=3))
    prices = [
        100,
        101,
        100,
        101,
        100,
        101,
        100,
        101,
        100,
        101,
        100,
        101,
        100,
        101,
        100,
        98,
        96,
        94,
        92,
        95,
        99,
        104,
        110,
    ]
    seen = decisions(strategy, closes(*prices))
    # Wilder by hand: after +1, -1, +1 the averages are gain 2/3, loss 1/3 (RSI 66.7); each step after is
    # (previous x 2 + change) / 3. Zig-zags keep it between 40 and 67; the fall to 98 takes it to 20.0 (buy),
    # the rise to 99 to 72.7 (sell).
    assert [(close, side) for close, side, _ in seen] == [(D(98), "buy"), (D(99), "sell")]
    assert seen[0][2].startswith("RSI ") and "below 30" in seen[0][2]


def test_rsi_refuses_bands_in_the_wrong_order() -> None:
    with pytest.raises(ValidationError, match="must be below"):
        RsiParams(rsi_buy_below=D(70), rsi_sell_above=D(30))


def test_bollinger_buys_below_the_lower_band_and_sells_at_the_middle() -> None:
    strategy = BollingerReversion(BollingerParams(bb_period=5, bb_width=1.5))
    seen = decisions(strategy, closes(100, 101, 100, 101, 100, 101, 95, 97, 99, 100.5, 101))
    # at 95: mean of 100,101,100,101,95 is 99.4, population sd 2.245, lower band 96.03 -> buy;
    # at 99: the middle band is the mean of 100,101,95,97,99 = 98.4 -> sell
    assert [(close, side) for close, side, _ in seen] == [(D(95), "buy"), (D(99), "sell")]
    assert strategy.risk.stoploss_pct == 2  # it declares its own stop


@pytest.mark.parametrize(
    "strategy",
    [SmaCrossover(SmaParams(fast=5, slow=20)), BollingerReversion(BollingerParams())],
    ids=["sma", "bollinger"],
)
def test_windowed_indicators_decide_as_the_whole_series_when_they_look_back_no_further(strategy: object) -> None:
    candles = list(itertools.islice(synthetic_series(3, D(42000), 60), 1500))
    whole = decisions(strategy, candles)  # type: ignore[arg-type]
    assert len(whole) > 10
    assert decisions(strategy, candles, streaming=True) == whole  # type: ignore[arg-type]
