"""The report's figures on hand-made curves and trades, each checked against a value worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tradewire_trader.backtest.closed_trade import ClosedTrade
from tradewire_trader.backtest.equity_curve import EquityCurve
from tradewire_trader.backtest.figures import compute_figures, max_drawdown, period_returns, sharpe_sortino

MINUTE = 60_000
DAY = 86_400_000


def curve(values: list[float], step: int = MINUTE, in_market: list[bool] | None = None) -> EquityCurve:
    n = len(values)
    return EquityCurve(
        np.arange(n, dtype=np.int64) * step,
        np.array(values, dtype=np.float64),
        np.array(in_market if in_market is not None else [False] * n),
    )


def trade(profit: str, pct: str, entry_min: int = 0, exit_min: int = 10, reason: str = "signal") -> ClosedTrade:
    return ClosedTrade(
        "BTC/USDT", entry_min * MINUTE, exit_min * MINUTE, Decimal(1), Decimal(1), Decimal(1),
        Decimal(profit), Decimal(pct), Decimal("0.1"), reason, "",
    )  # fmt: skip


def test_max_drawdown_value_percent_dates_and_longest_time_under_water() -> None:
    dd = max_drawdown(curve([100, 110, 99, 120, 90, 95]), MINUTE)
    assert dd.value == 30  # from the 120 peak to 90
    assert dd.pct == 25
    assert (dd.peak_ms, dd.trough_ms) == (3 * MINUTE, 4 * MINUTE)
    assert dd.longest_underwater_s == 120  # candles 4 and 5 (never recovered) beat candle 2 alone


def test_a_curve_that_only_rises_has_no_drawdown() -> None:
    dd = max_drawdown(curve([100, 101, 102]), MINUTE)
    assert (dd.value, dd.pct, dd.longest_underwater_s) == (0, 0, 0)


def test_period_returns_use_the_last_equity_of_each_day() -> None:
    hours = [100.0] * 24 + [110.0] * 24 + [99.0] * 24  # three days of hourly points
    returns = period_returns(curve(hours, step=3_600_000), DAY)
    assert returns.tolist() == pytest.approx([0.0, 0.1, -0.1])


def test_sharpe_and_sortino_by_hand() -> None:
    returns = np.array([0.01, -0.02, 0.03, 0.0])
    sharpe, sortino = sharpe_sortino(returns, 365)
    mean = 0.005
    spread = (sum((r - mean) ** 2 for r in returns) / 3) ** 0.5
    downside = (0.02**2 / 4) ** 0.5
    assert sharpe == pytest.approx(mean / spread * 365**0.5)
    assert sortino == pytest.approx(mean / downside * 365**0.5)


def test_trade_figures_by_hand() -> None:
    trades = [trade("10", "2", 0, 10), trade("-5", "-1", 20, 50), trade("20", "4", 60, 80), trade("-5", "-1", 90, 100)]
    equity = [100.0 + i for i in range(1440 * 8)]  # eight days, only up
    in_market = [i % 2 == 0 for i in range(1440 * 8)]
    figures = compute_figures(curve(equity, in_market=in_market), trades, [np.array(equity)], MINUTE, 1.5)
    assert figures.win_rate_pct == 50
    assert figures.profit_factor == 3  # 30 won / 10 lost
    assert figures.expectancy == 5
    assert figures.expectancy_pct == 1
    assert figures.average_duration_s == (10 + 30 + 20 + 10) / 4 * 60
    assert figures.exposure_pct == 50
    assert figures.trades_per_day == 0.5
    assert figures.fees_paid == 1.5
    assert figures.days == 8
    assert figures.total_return_pct == pytest.approx((equity[-1] / 100 - 1) * 100)
    assert figures.buy_and_hold_pct == pytest.approx(figures.total_return_pct)
    assert figures.annualised_return_pct == pytest.approx(((equity[-1] / 100) ** (365 / 8) - 1) * 100)
    assert figures.calmar is None  # no drawdown: undefined, not infinite
    assert "daily" not in figures.annualisation and "sqrt(365)" in figures.annualisation


def test_no_losing_trade_has_no_profit_factor_and_a_short_run_uses_hourly_returns() -> None:
    figures = compute_figures(curve([100, 101, 100.5]), [trade("1", "1")], [np.array([1.0, 1.1, 1.2])], MINUTE, 0)
    assert figures.profit_factor is None
    assert "sqrt(8760)" in figures.annualisation
    assert figures.buy_and_hold_pct == pytest.approx(20)


def test_buy_and_hold_of_several_symbols_holds_equal_parts_of_each() -> None:
    closes = [np.array([100.0, 90.0, 130.0]), np.array([10.0, 11.0, 9.0])]  # +30 % and -10 %
    figures = compute_figures(curve([100, 101, 100.5]), [trade("1", "1")], closes, MINUTE, 0)
    assert figures.buy_and_hold_pct == pytest.approx(10)
    assert figures.max_drawdown.value == pytest.approx(0.5)
