"""The report's figures recomputed independently, from the engine's published fills and the candles alone:
plain Python loops over exact Decimals and the statistics module, where the report uses numpy arrays."""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewire_trader.backtest.backtest_run import run_backtest
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.settings import Settings
from tradewire_trader.synthetic import synthetic_series

MINUTE = 60_000


def test_drawdown_sharpe_win_rate_and_profit_factor_match_a_recomputation() -> None:
    candles = CandleTable.from_candles(itertools.islice(synthetic_series(21, Decimal("42000"), 60), 12_000))
    settings = Settings(
        bot_id="recompute", strategy="sma_crossover", strategy_params={"fast": "8", "slow": "40"},
        order_size=Decimal("0.05"), stoploss_pct=Decimal("1"),
    )  # fmt: skip
    result = run_backtest(settings, candles, MINUTE)
    figures = result.figures
    assert figures.trades > 20
    assert {t.reason for t in result.trades} == {"signal", "stoploss"}  # exits of both kinds are counted

    # Equity at each candle's close: the balances after the fills of that candle and before, at its close.
    quote, base = settings.starting_quote, settings.starting_base
    pending = list(result.fills)
    equity: list[Decimal] = []
    for ts, close in zip(candles.timestamp_ms.tolist(), candles.close.tolist(), strict=True):
        while pending and pending[0].market_time is not None and pending[0].market_time.timestamp() * 1000 <= ts:
            fill = pending.pop(0)
            quote, base = fill.balances.get("USDT", Decimal(0)), fill.balances.get("BTC", Decimal(0))
        equity.append(quote + base * Decimal(repr(close)))
    assert not pending

    peak, worst, worst_pct = equity[0], Decimal(0), Decimal(0)
    for value in equity:
        peak = max(peak, value)
        if peak - value > worst:
            worst, worst_pct = peak - value, (peak - value) / peak * 100
    assert figures.max_drawdown.value == pytest.approx(float(worst), rel=1e-9)
    assert figures.max_drawdown.pct == pytest.approx(float(worst_pct), rel=1e-9)

    last_of_day: dict[str, Decimal] = {}
    for ts, value in zip(candles.timestamp_ms.tolist(), equity, strict=True):
        last_of_day[datetime.fromtimestamp(ts / 1000, UTC).date().isoformat()] = value
    closes = [equity[0], *last_of_day.values()]
    returns = [float(b / a - 1) for a, b in itertools.pairwise(closes)]
    sharpe = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(365)
    assert "sqrt(365)" in figures.annualisation
    assert figures.sharpe == pytest.approx(sharpe, rel=1e-6)

    exits = [f.realized_profit for f in result.fills if f.side == "sell" and f.realized_profit is not None]
    wins = [p for p in exits if p > 0]
    losses = [p for p in exits if p <= 0]
    assert figures.win_rate_pct == pytest.approx(len(wins) / len(exits) * 100)
    assert figures.profit_factor == pytest.approx(float(sum(wins) / -sum(losses)), rel=1e-9)
    assert figures.fees_paid == pytest.approx(float(sum(f.fee_quote or 0 for f in result.fills)), rel=1e-9)
