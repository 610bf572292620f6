"""Backtest benchmark: one year of one-minute candles for one symbol, end to end, and a 16-set sweep on
one process and on two.

End to end = reading the Feather file, checking it, the engine (SMA crossover with a stoploss, the paper
fill model, the books, the events into the in-memory publisher), the report's figures and tables, and
writing its JSON and HTML. Measured in this process (imports excluded) and as the real command
(`python -m tradewire_trader backtest run`, interpreter start and imports included). Each figure is
given as the range over `--runs` runs, with the load average: other work on the machine moves them.

    uv run python -m bench.backtest [--candles 525600] [--runs 3] [--sweep-candles 50000]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tradewire_trader.backtest.backtest_run import run_backtest
from tradewire_trader.backtest.candle_file import write_candles
from tradewire_trader.backtest.candle_source import CandleSource, load
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.parallel_runs import Candidate, run_all
from tradewire_trader.backtest.parameter_grid import apply, grid, label
from tradewire_trader.backtest.report import build_report
from tradewire_trader.backtest.report_store import save
from tradewire_trader.settings import Settings

TARGET_S = 10.0
STRATEGY = {"strategy": "sma_crossover", "fast": "20", "slow": "100", "stoploss_pct": "2"}
GRID = ["fast=5,10,20,30", "slow=50,100,150,200"]


def year_of_candles(n: int) -> CandleTable:
    """A random walk with BTC-like one-minute volatility (0.08 %), rounded to the cent."""
    rng = np.random.default_rng(7)
    close = np.round(42_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n))), 2)
    opening = np.concatenate([[42_000.0], close[:-1]])
    high = np.round(np.maximum(opening, close) * (1 + np.abs(rng.normal(0, 0.0002, n))), 2)
    low = np.round(np.minimum(opening, close) * (1 - np.abs(rng.normal(0, 0.0002, n))), 2)
    volume = np.round(np.abs(rng.normal(5, 2, n)), 4)
    ts = 1_704_067_200_000 + np.arange(n, dtype=np.int64) * 60_000
    return CandleTable(ts, opening, high, low, close, volume, source="bench year")


def settings() -> Settings:
    return apply(Settings(bot_id="bench", speed=0), strategy_settings())


def strategy_settings() -> dict[str, str]:
    # The stoploss arrives with the strategy interface (issue 14); until then the bench runs without it.
    return {k: v for k, v in STRATEGY.items() if k in Settings.model_fields or k in {"fast", "slow"}}


def in_process(data: Path, reports: Path) -> tuple[float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    candles, step_ms, timeframe = load(CandleSource(data))
    result = run_backtest(settings(), candles, step_ms)
    save(build_report(result, name="bench", timeframe=timeframe), reports)
    return time.perf_counter() - started, time.process_time() - cpu, result.figures.trades


def as_command(data: Path, reports: Path) -> float:
    command = [sys.executable, "-m", "tradewire_trader", "backtest", "run", "--data", str(data), "--no-progress"]
    command += ["--reports-dir", str(reports), "--name", "bench-cli"]
    for name, value in strategy_settings().items():
        command += ["--strategy", value] if name == "strategy" else ["--param", f"{name}={value}"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def sweep(candles: CandleTable, workers: int) -> float:
    base = settings()
    sets = [Candidate(label(base.strategy, o), apply(base, o)) for o in grid(GRID)]
    started = time.perf_counter()
    run_all(sets, candles, 60_000, workers)
    return time.perf_counter() - started


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"{min(values):.{digits}f}-{max(values):.{digits}f} {unit}"
        if len(values) > 1
        else f"{values[0]:.{digits}f} {unit}"
    )


def main(n: int, runs: int, sweep_n: int) -> int:
    logging.getLogger("tradewire.trader").setLevel(logging.WARNING)
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="tradewire-bench-backtest-") as tmp:
        folder = Path(tmp)
        table = year_of_candles(n)
        data = write_candles(table, folder / "BTC_USDT-1m.feather")
        walls, cpus, commands, trades = [], [], [], 0
        for _ in range(runs):
            wall, cpu, trades = in_process(data, folder)
            walls.append(wall)
            cpus.append(cpu)
            commands.append(as_command(data, folder))
            loads.append(os.getloadavg()[0])
        sample = table.rows(0, sweep_n)
        one = [sweep(sample, 1) for _ in range(max(1, runs - 1))]
        two = [sweep(sample, 2) for _ in range(max(1, runs - 1))]
        loads.append(os.getloadavg()[0])
    what = " ".join(f"{k}={v}" for k, v in strategy_settings().items())
    print(f"backtest, {n:,} one-minute candles ({n / 525_600:.2f} years), {what}, {runs} runs")
    print(f"  end to end in process (file, checks, engine, report JSON+HTML): {spread(walls)} wall, {spread(cpus)} CPU")
    print(f"  candles/s in process:                {spread([n / w for w in walls], 'candles/s', 0)}")
    print(f"  as the command (start-up, imports):  {spread(commands)}")
    print(f"  trades: {trades}")
    print(f"sweep of 16 sets over {sweep_n:,} candles: 1 process {spread(one)}, 2 processes {spread(two)}")
    print(f"  speed-up with 2 processes: {spread([a / b for a, b in zip(one, two, strict=False)], 'x')}")
    print(f"load average while measuring: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs (shared machine)")
    met = max(walls) < TARGET_S
    verdict = "met" if met else "MISSED"
    print(f"target < {TARGET_S:.0f} s end to end in process: {verdict} (slowest run {max(walls):.2f} s)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candles", type=int, default=525_600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sweep-candles", type=int, default=50_000)
    args = parser.parse_args()
    raise SystemExit(main(args.candles, args.runs, args.sweep_candles))
