"""`tradewire-trader backtest run|compare|sweep|list` and `tradewire-trader download` (docs/backtesting.md).

The simulated bot is set with the trader's own flags and `TRADER_*` variables (strategy, symbol, fees,
starting balances) plus `--param name=value` for any other trader setting; where files go, with
`BACKTEST_*` (BacktestSettings).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tradewire_trader.backtest.backtest_run import first_table, rows, run_backtest
from tradewire_trader.backtest.backtest_settings import BacktestSettings
from tradewire_trader.backtest.candle_source import CandleSource, load_symbols
from tradewire_trader.backtest.candle_table import BadCandleData
from tradewire_trader.backtest.comparison_table import comparison_json, comparison_table
from tradewire_trader.backtest.parallel_runs import RANKABLE, Candidate, ranked, run_all
from tradewire_trader.backtest.parameter_grid import apply, label, parse_assignment, sweep_candidates
from tradewire_trader.backtest.report import OVERFIT_WARNING, build_report, write_json
from tradewire_trader.backtest.report_store import default_name, save, stored
from tradewire_trader.backtest.terminal_table import print_report
from tradewire_trader.settings import Settings, add_setting_flags

# The simulated bot's flags: the trader's own (`add_setting_flags`), with a note where a backtest reads one differently.
SIMULATION_FLAGS = (
    "strategy", "symbol", "symbols", "starting_quote", "starting_base", "taker_fee", "maker_fee", "slippage"
)  # fmt: skip
SIMULATION_NOTES = {"symbols": "Backtest: --data with {pair}, or synthetic."}


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backtest = commands.add_parser("backtest", help="backtest strategies on stored or synthetic candles")
    which = backtest.add_subparsers(dest="backtest_command", required=True)
    run = which.add_parser("run", help="one backtest, with its report (terminal, JSON, HTML)")
    _backtest_flags(run)
    run.add_argument("--name", help="report name (default: strategy-symbol-timeframe-time)")
    compare = which.add_parser("compare", help="several strategies or parameter sets side by side")
    _backtest_flags(compare)
    compare.add_argument(
        "--run",
        action="append",
        required=True,
        metavar="'STRATEGY name=value ...'",
        help="one run per flag, e.g. --run 'sma_crossover fast=5 slow=20' --run 'rsi_reversion rsi_period=14'",
    )
    _rank_flags(compare)
    sweep = which.add_parser("sweep", help="every combination of a grid of parameters, on all cores")
    _backtest_flags(sweep)
    sweep.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2,...",
        help="one axis of the grid; default: the values the strategy's parameters declare to sweep",
    )
    sweep.add_argument(
        "--hold-out",
        type=float,
        default=0.3,
        help="share of the candles (at the end) kept out of the sweep to test the best set on (default 0.3; 0: none)",
    )
    sweep.add_argument(
        "--walk-forward",
        type=int,
        default=0,
        metavar="FOLDS",
        help="also run a walk-forward analysis over the sweep's candles: optimise on each window, trade the next",
    )
    _rank_flags(sweep)
    listing = which.add_parser("list", help="the stored reports")
    listing.add_argument("--reports-dir", type=Path, help="where reports are (env BACKTEST_REPORTS_DIR)")
    download = commands.add_parser("download", help="fetch candles through ccxt into Freqtrade's file layout")
    from tradewire_trader.backtest.download import add_flags

    add_flags(download)


def _backtest_flags(parser: argparse.ArgumentParser) -> None:
    """What every backtest reads: the candles, where reports go, and the simulated bot's settings."""
    parser.add_argument(
        "--data", type=Path, help="candle file (.feather, .parquet, .json, .json.gz, .csv); default: synthetic"
    )
    parser.add_argument("--timeframe", help="candle width (1m, 5m, 1h, ...); default: read from the file, or 1m")
    parser.add_argument("--start", help="first candle, ISO date/time UTC (e.g. 2024-01-01)")
    parser.add_argument("--end", help="end (exclusive), ISO date/time UTC")
    parser.add_argument("--candles", type=int, default=10_000, help="synthetic: how many candles (default 10000)")
    parser.add_argument("--seed", type=int, default=11, help="synthetic: the same seed gives the same series")
    parser.add_argument(
        "--reports-dir", type=Path, help="where reports go (env BACKTEST_REPORTS_DIR, default var/backtests)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_setting_flags(parser, SIMULATION_FLAGS, SIMULATION_NOTES)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any trader setting or strategy parameter, e.g. --param fast=10 --param slow=50",
    )


def _rank_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rank-by", choices=RANKABLE, default="sharpe", help="figure to rank by (default sharpe)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")


def base_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in SIMULATION_FLAGS if getattr(args, name) is not None
    }
    for text in args.param:
        name, values = parse_assignment(text)
        overrides[name] = values[0]
    overrides.setdefault("bot_id", "backtest")
    return apply(Settings(bot_id="backtest", speed=0), overrides)


@contextmanager
def progress_bar(total: int | None, what: str, show: bool) -> Iterator[Callable[[int], None] | None]:
    if not show:
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


def main(args: argparse.Namespace) -> int:
    # A line per fill is right for a running bot and noise for ten thousand simulated ones.
    logging.getLogger("tradewire.trader").setLevel(logging.WARNING)
    console = Console() if sys.stdout.isatty() else Console(width=150)  # a file or pipe: room for the tables
    files = BacktestSettings()
    if getattr(args, "reports_dir", None) is not None:
        files = files.model_copy(update={"reports_dir": args.reports_dir})
    try:
        if args.command == "download":
            from tradewire_trader.backtest.download import main as download

            return download(args, files)
        if args.backtest_command == "list":
            for item in stored(files.reports_dir):
                figures = item.report["figures"]
                console.print(f"{item.name}  return {figures['total_return_pct']:.2f} %  {item.html_path}")
            return 0
        settings = base_settings(args)
        source = CandleSource(args.data, args.timeframe, args.start, args.end, args.candles, args.seed)
        candles, step_ms, timeframe = load_symbols(source, settings.markets)
        first = candles[settings.symbol]
        show = not args.no_progress and len(first) >= files.progress_from
        if args.backtest_command == "run":
            with progress_bar(len(first), "backtest", show) as advance:
                result = run_backtest(settings, candles, step_ms, advance)
            name = args.name or default_name(settings.strategy, settings.symbol, timeframe)
            report = build_report(result, name=name, timeframe=timeframe)
            print_report(report, console)
            kept = save(report, files.reports_dir)
            console.print(f"report: {kept.html_path} (and {kept.json_path.name})")
            return 0
        return _many(args, settings, candles, step_ms, timeframe, files, console, show)
    except (BadCandleData, ValueError, FileNotFoundError, ValidationError) as error:
        print(f"backtest: {error}", file=sys.stderr)
        return 2


def _many(
    args: argparse.Namespace,
    settings: Settings,
    candles: Any,
    step_ms: int,
    timeframe: str,
    files: BacktestSettings,
    console: Console,
    show: bool,
) -> int:
    if args.backtest_command == "compare":
        candidates = []
        for text in args.run:
            strategy, *assignments = text.split()
            overrides = {"strategy": strategy, **{k: v[0] for k, v in map(parse_assignment, assignments)}}
            candidates.append(Candidate(label(strategy, overrides), apply(settings, overrides)))
        sample, held = candles, None
        title = f"{len(candidates)} runs on {first_table(candles).source}"
    else:
        candidates = sweep_candidates(settings, args.grid, console)
        total = len(first_table(candles))
        cut = int(total * (1 - args.hold_out)) if args.hold_out > 0 else total
        sample, held = rows(candles, 0, cut), (rows(candles, cut, total) if cut < total else None)
        title = f"sweep of {len(candidates)} sets on the first {cut:,} candles of {first_table(candles).source}"
    with progress_bar(len(candidates), "runs", not args.no_progress) as advance:
        outcomes = run_all(candidates, sample, step_ms, args.workers, None if advance is None else lambda _: advance(1))
    best_first = ranked(outcomes, args.rank_by)
    console.print(comparison_table(best_first, args.rank_by, title))
    best = best_first[0].candidate
    stamp = default_name(args.backtest_command, settings.symbol, timeframe)
    write_json(
        {"ranked_by": args.rank_by, "runs": comparison_json(best_first, args.rank_by)},
        files.reports_dir / f"{stamp}-table.json",
    )
    notes = [f"Best of {len(candidates)} by {args.rank_by}: {best.label}."]
    if args.backtest_command == "sweep":
        notes.append(OVERFIT_WARNING)
    if held is not None:
        held_result = run_backtest(best.settings, held, step_ms)
        f = held_result.figures
        notes.append(
            f"Held-back period ({len(first_table(held)):,} candles the sweep never saw): "
            f"return {f.total_return_pct:.2f} %, "
            f"max drawdown {f.max_drawdown.pct:.2f} %, Sharpe {'-' if f.sharpe is None else f'{f.sharpe:.2f}'}, "
            f"{f.trades} trades. Its own report: {stamp}-held-back."
        )
        save(
            build_report(held_result, name=f"{stamp}-held-back", timeframe=timeframe, notes=notes[:1]),
            files.reports_dir,
        )
    if getattr(args, "walk_forward", 0):
        from tradewire_trader.backtest.walk_forward import walk_forward, walk_forward_json, walk_forward_table

        if isinstance(sample, dict) and len(sample) > 1:
            raise ValueError("walk-forward runs on one symbol for now: drop --walk-forward or give one --symbol")
        one = first_table(sample)
        folds = walk_forward(candidates, one, step_ms, args.walk_forward, args.rank_by, args.workers)
        console.print(walk_forward_table(folds, args.rank_by))
        write_json(walk_forward_json(folds, args.rank_by), files.reports_dir / f"{stamp}-walk-forward.json")
        notes.append(f"Walk-forward ({args.walk_forward} folds): see {stamp}-walk-forward.json.")
    result = run_backtest(best.settings, sample, step_ms)
    report = build_report(result, name=f"{stamp}-best", timeframe=timeframe, notes=notes)
    print_report(report, console)
    kept = save(report, files.reports_dir)
    console.print(f"report of the best: {kept.html_path}; table of all: {stamp}-table.json")
    return 0
