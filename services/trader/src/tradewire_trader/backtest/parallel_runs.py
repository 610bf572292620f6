"""Many backtests over the same candles, on every core: for comparing strategies and sweeping parameters.

Each worker process loads the candles once (pickled to it at start) and runs whole backtests, so the
cores work in parallel without sharing anything; only the figures come back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from tradewire_trader.backtest.backtest_run import Candles, run_backtest
from tradewire_trader.backtest.figures import Figures
from tradewire_trader.settings import Settings

LOWER_IS_BETTER = {"max_drawdown_pct"}
RANKABLE = (
    "sharpe",
    "sortino",
    "calmar",
    "total_return_pct",
    "annualised_return_pct",
    "profit_factor",
    "win_rate_pct",
    "expectancy",
    "max_drawdown_pct",
)


@dataclass(frozen=True)
class Candidate:
    label: str  # what a reader sees in the table, e.g. "sma_crossover fast=5 slow=20"
    settings: Settings


@dataclass(frozen=True)
class Outcome:
    candidate: Candidate
    figures: Figures


def metric(figures: Figures, name: str) -> float | None:
    if name == "max_drawdown_pct":
        return figures.max_drawdown.pct
    value = getattr(figures, name)
    return None if value is None else float(value)


def ranked(outcomes: list[Outcome], by: str) -> list[Outcome]:
    """Best first; a figure that does not exist (no trades, no loss) ranks after every number."""
    sign = 1 if by in LOWER_IS_BETTER else -1

    def key(outcome: Outcome) -> tuple[bool, float]:
        value = metric(outcome.figures, by)
        return (value is None, 0.0 if value is None else sign * value)

    return sorted(outcomes, key=key)


_candles: Candles | None = None
_step_ms = 0


def _load(candles: Candles, step_ms: int) -> None:
    global _candles, _step_ms  # one worker process's copy of the data, set once by the pool's initializer
    _candles, _step_ms = candles, step_ms


def _run(candidate: Candidate) -> Outcome:
    assert _candles is not None, "worker started without candles"
    return Outcome(candidate, run_backtest(candidate.settings, _candles, _step_ms).figures)


def run_all(
    candidates: Sequence[Candidate],
    candles: Candles,
    step_ms: int,
    workers: int | None = None,
    done: Callable[[Outcome], Any] | None = None,
) -> list[Outcome]:
    """Every candidate's figures, in the order given; `done` is called as each one finishes (progress)."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(candidates)))
    if workers == 1:
        _load(candles, step_ms)
        outcomes = []
        for candidate in candidates:
            outcomes.append(_run(candidate))
            if done is not None:
                done(outcomes[-1])
        return outcomes
    results: dict[int, Outcome] = {}
    with ProcessPoolExecutor(workers, initializer=_load, initargs=(candles, step_ms)) as pool:
        futures = {pool.submit(_run, candidate): index for index, candidate in enumerate(candidates)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if done is not None:
                done(results[futures[future]])
    return [results[index] for index in range(len(candidates))]
