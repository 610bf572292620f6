"""Walk-forward analysis: optimise on one window, trade the winner on the next one it has not seen, move on.

The candles are cut into `folds + 1` equal windows. Fold k sweeps the grid on window k (in-sample) and
runs the best set on window k + 1 (out-of-sample). The out-of-sample results, one after another, are
the honest estimate of what "pick the best parameters, then trade them" would have earned; the gap to
the in-sample figures is how much the sweep was fitting noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from tradewire_trader.backtest.backtest_run import run_backtest
from tradewire_trader.backtest.candle_table import CandleTable, iso
from tradewire_trader.backtest.figures import Figures
from tradewire_trader.backtest.parallel_runs import Candidate, metric, ranked, run_all
from tradewire_trader.backtest.terminal_table import number


@dataclass(frozen=True)
class Fold:
    in_sample: CandleTable
    out_of_sample: CandleTable
    best: Candidate
    in_sample_figures: Figures
    out_of_sample_figures: Figures


def walk_forward(
    candidates: list[Candidate],
    candles: CandleTable,
    step_ms: int,
    folds: int,
    by: str,
    workers: int | None = None,
    done: Callable[[Any], Any] | None = None,
) -> list[Fold]:
    if folds < 1:
        raise ValueError("walk-forward needs at least 1 fold")
    size = len(candles) // (folds + 1)
    if size < 2:
        raise ValueError(f"{len(candles)} candles are too few for {folds} walk-forward folds")
    results = []
    for k in range(folds):
        inside = candles.rows(k * size, (k + 1) * size)
        after = candles.rows((k + 1) * size, (k + 2) * size if k < folds - 1 else len(candles))
        best = ranked(run_all(candidates, inside, step_ms, workers, done), by)[0]
        tested = run_backtest(best.candidate.settings, after, step_ms).figures
        results.append(Fold(inside, after, best.candidate, best.figures, tested))
    return results


def compounded_return_pct(folds: list[Fold]) -> float:
    growth = 1.0
    for fold in folds:
        growth *= 1 + fold.out_of_sample_figures.total_return_pct / 100
    return (growth - 1) * 100


def walk_forward_table(folds: list[Fold], by: str) -> Table:
    table = Table(title=f"walk-forward: best by {by} in each window, then traded on the next")
    for heading in ("fold", "optimised on", "best set", f"{by} in", "return in %", "traded on", "return out %"):
        table.add_column(heading, justify="left" if heading in {"best set", "optimised on", "traded on"} else "right")
    table.add_column("max DD out %", justify="right")
    table.add_column(f"{by} out", justify="right")
    for k, fold in enumerate(folds, start=1):
        inside, outside = fold.in_sample_figures, fold.out_of_sample_figures
        table.add_row(
            str(k),
            f"{iso(int(fold.in_sample.timestamp_ms[0]))[:10]} +{inside.days:.1f}d",
            fold.best.label,
            number(metric(inside, by)),
            number(inside.total_return_pct),
            f"{iso(int(fold.out_of_sample.timestamp_ms[0]))[:10]} +{outside.days:.1f}d",
            number(outside.total_return_pct),
            number(outside.max_drawdown.pct),
            number(metric(outside, by)),
        )
    table.caption = f"out-of-sample windows one after another: {compounded_return_pct(folds):+.2f} % compounded"
    return table


def walk_forward_json(folds: list[Fold], by: str) -> dict[str, Any]:
    return {
        "ranked_by": by,
        "out_of_sample_return_pct": compounded_return_pct(folds),
        "folds": [
            {
                "best": fold.best.label,
                "in_sample": fold.in_sample_figures.to_json(),
                "out_of_sample": fold.out_of_sample_figures.to_json(),
            }
            for fold in folds
        ],
    }
