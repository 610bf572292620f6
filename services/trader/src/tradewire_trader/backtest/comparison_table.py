"""Several backtests side by side, best first by the chosen figure: printed, and stored as JSON."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from tradewire_trader.backtest.parallel_runs import Outcome, metric
from tradewire_trader.backtest.terminal_table import duration, number

COLUMNS = (
    ("total_return_pct", "return %"),
    ("annualised_return_pct", "CAGR %"),
    ("max_drawdown_pct", "max DD %"),
    ("sharpe", "Sharpe"),
    ("sortino", "Sortino"),
    ("calmar", "Calmar"),
    ("win_rate_pct", "win %"),
    ("profit_factor", "PF"),
    ("expectancy", "expect."),
)


def comparison_table(outcomes: list[Outcome], by: str, title: str) -> Table:
    table = Table(title=f"{title}, ranked by {by}")
    table.add_column("#", justify="right")
    table.add_column("run")
    table.add_column("trades", justify="right")
    for _, heading in COLUMNS:
        table.add_column(heading, justify="right", style="bold" if _ == by else None)
    table.add_column("avg dur.", justify="right")
    for rank, outcome in enumerate(outcomes, start=1):
        f = outcome.figures
        table.add_row(
            str(rank),
            outcome.candidate.label,
            str(f.trades),
            *(number(metric(f, name)) for name, _ in COLUMNS),
            duration(f.average_duration_s),
        )
    return table


def comparison_json(outcomes: list[Outcome], by: str) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "run": o.candidate.label,
            "ranked_by": by,
            "value": metric(o.figures, by),
            "figures": o.figures.to_json(),
        }
        for rank, o in enumerate(outcomes, start=1)
    ]
