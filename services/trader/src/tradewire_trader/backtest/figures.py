"""The report's headline figures, computed from the equity curve and the closed trades.

Annualisation, stated once here and in the report: Sharpe and Sortino use the returns of the equity
curve per day (per hour when the backtest spans less than a week), risk-free rate 0, scaled by the
square root of the periods in a year of 365 days (crypto trades every day). Calmar is the annualised
return over the maximum drawdown, both in percent. Returns are compounded (CAGR).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tradewire_trader.backtest.candle_table import Floats
from tradewire_trader.backtest.closed_trade import ClosedTrade
from tradewire_trader.backtest.equity_curve import EquityCurve

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
YEAR_DAYS = 365


@dataclass(frozen=True)
class Drawdown:
    value: float  # quote currency, the largest fall from a peak (a positive number)
    pct: float  # of the peak it fell from
    peak_ms: int
    trough_ms: int
    longest_underwater_s: float  # the longest stretch below a previous peak (to the end if never recovered)


@dataclass(frozen=True)
class Figures:
    start_ms: int
    end_ms: int  # the last candle's close
    days: float
    starting_equity: float
    final_equity: float
    total_return_pct: float
    annualised_return_pct: float | None  # None when it does not fit a float (a huge gain over hours)
    buy_and_hold_pct: float  # close-to-close change over the same candles; several symbols: equal parts of each
    max_drawdown: Drawdown
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    annualisation: str
    trades: int
    wins: int
    losses: int
    win_rate_pct: float | None
    profit_factor: float | None  # None: no losing trade (infinite)
    expectancy: float | None  # average profit per trade, quote currency
    expectancy_pct: float | None  # average profit per trade, percent of its basis
    average_duration_s: float | None
    exposure_pct: float
    trades_per_day: float
    fees_paid: float  # every fill's fee, in the quote currency

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def drawdown_series(equity: Floats) -> Floats:
    """Equity minus its running peak, at every candle (0 at a new high, negative under water)."""
    return equity - np.maximum.accumulate(equity)


def max_drawdown(curve: EquityCurve, step_ms: int) -> Drawdown:
    equity = curve.equity
    peaks = np.maximum.accumulate(equity)
    falls = equity - peaks
    trough = int(np.argmin(falls))
    peak = int(np.argmax(equity[: trough + 1]))
    underwater = falls < 0
    longest = 0
    if underwater.any():
        # Lengths of runs of consecutive candles under water.
        edges = np.diff(np.concatenate(([0], underwater.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        longest = int((ends - starts).max())
    return Drawdown(
        value=abs(float(falls[trough])),
        pct=abs(float(falls[trough] / peaks[trough] * 100)) if peaks[trough] else 0.0,
        peak_ms=int(curve.timestamp_ms[peak]),
        trough_ms=int(curve.timestamp_ms[trough]),
        longest_underwater_s=longest * step_ms / 1000,
    )


def period_returns(curve: EquityCurve, period_ms: int) -> Floats:
    """Returns between the equity at the end of consecutive periods (the first period starts at the start)."""
    bucket = curve.timestamp_ms // period_ms
    last_of_bucket = np.flatnonzero(np.diff(bucket)) if len(bucket) > 1 else np.array([], dtype=np.int64)
    closes = np.concatenate(([curve.equity[0]], curve.equity[last_of_bucket], [curve.equity[-1]]))
    return np.diff(closes) / closes[:-1]


def sharpe_sortino(returns: Floats, periods_per_year: float) -> tuple[float | None, float | None]:
    if len(returns) < 2:
        return None, None
    mean = float(returns.mean())
    spread = float(returns.std(ddof=1))
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    scale = float(np.sqrt(periods_per_year))
    return (mean / spread * scale if spread > 0 else None), (mean / downside * scale if downside > 0 else None)


def _annualised(total: float, days: float) -> float | None:
    if days <= 0 or total <= -1:
        return -1.0 if total <= -1 else None
    try:
        value = (1 + total) ** (YEAR_DAYS / days) - 1
    except OverflowError:
        return None
    return value if np.isfinite(value) else None


def compute_figures(
    curve: EquityCurve, trades: list[ClosedTrade], closes: list[Floats], step_ms: int, fees_paid: float
) -> Figures:
    start_ms = int(curve.timestamp_ms[0])
    end_ms = int(curve.timestamp_ms[-1]) + step_ms
    days = (end_ms - start_ms) / DAY_MS
    total = curve.end / curve.start - 1 if curve.start else 0.0
    annualised = _annualised(total, days)
    period_ms, period_name = (DAY_MS, "day") if days >= 7 else (HOUR_MS, "hour")
    periods_per_year = YEAR_DAYS * DAY_MS / period_ms
    sharpe, sortino = sharpe_sortino(period_returns(curve, period_ms), periods_per_year)
    drawdown = max_drawdown(curve, step_ms)
    profits = np.array([float(t.profit) for t in trades])
    wins = int((profits > 0).sum())
    gross_loss = float(-profits[profits <= 0].sum())
    return Figures(
        start_ms=start_ms,
        end_ms=end_ms,
        days=days,
        starting_equity=curve.start,
        final_equity=curve.end,
        total_return_pct=total * 100,
        annualised_return_pct=None if annualised is None else annualised * 100,
        # The same money split equally over every symbol traded, bought at the first close, held to the last.
        buy_and_hold_pct=float(np.mean([c[-1] / c[0] - 1 for c in closes])) * 100,
        max_drawdown=drawdown,
        sharpe=sharpe,
        sortino=sortino,
        calmar=(annualised * 100 / drawdown.pct) if annualised is not None and drawdown.pct > 0 else None,
        annualisation=(
            f"Sharpe and Sortino from {period_name} by {period_name} equity returns x sqrt({periods_per_year:g}) "
            f"(365-day year, risk-free rate 0); Calmar = annualised return % / max drawdown %"
        ),
        trades=len(trades),
        wins=wins,
        losses=len(trades) - wins,
        win_rate_pct=wins / len(trades) * 100 if trades else None,
        profit_factor=float(profits[profits > 0].sum()) / gross_loss if gross_loss > 0 else None,
        expectancy=float(profits.mean()) if trades else None,
        expectancy_pct=float(np.mean([float(t.profit_pct) for t in trades])) if trades else None,
        average_duration_s=float(np.mean([t.duration_s for t in trades])) if trades else None,
        exposure_pct=float(curve.in_market.mean() * 100),
        trades_per_day=len(trades) / days if days > 0 else 0.0,
        fees_paid=fees_paid,
    )
