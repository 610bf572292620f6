"""`python -m tradewire_trader run [flags]`: run one trader. Flags override `TRADER_*` environment settings.

python -m tradewire_trader run                       # paper trader "demo" on synthetic BTC/USDT
python -m tradewire_trader run --bot-id alpha --strategy rsi_reversion --source replay --speed 0
python -m tradewire_trader sample out.csv --candles 2000   # write a synthetic OHLCV CSV
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradewire_runtime.logs import configure_logging
from tradewire_trader.settings import RISK_FIELDS, Settings, add_setting_flags
from tradewire_trader.strategies import BUILT_IN, Strategy, StrategyNotLoaded, load_strategy_class
from tradewire_trader.strategies.loader import params_model
from tradewire_trader.synthetic import synthetic_series

# The run command's flags: each reads and describes itself as its setting does (`add_setting_flags`).
FLAGS = (
    "bot_id", "symbol", "symbols", "mode", "source", "replay_file", "speed", "seed", "start_price", "candle_seconds",
    "strategy", "order_size", "stake_quote", "stake_pct", *RISK_FIELDS, "starting_quote", "starting_base",
    "taker_fee", "maker_fee", "slippage", "exchange", "api_url", "live_acknowledged", "price_every", "heartbeat_s",
    "stats_every_s", "state_file", "redis_url", "metrics_port", "metrics_host",
)  # fmt: skip
FLAG_NOTES = {
    "strategy": f"Built in: {', '.join(BUILT_IN)}; its parameters are listed below.",
    "redis_url": "Redis URL (env TRADER_REDIS_URL or REDIS_URL; ./tw trader: the one ./tw up recorded)",
}


def chosen_strategy(argv: list[str]) -> str:
    """The --strategy on the command line, else TRADER_STRATEGY, else the default: its flags depend on it."""
    for i, arg in enumerate(argv):
        if arg == "--strategy" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--strategy="):
            return arg.partition("=")[2]
    return os.environ.get("TRADER_STRATEGY") or str(Settings.model_fields["strategy"].default)


def add_strategy_flags(run: argparse.ArgumentParser, strategy_class: type[Strategy]) -> list[str]:
    """One flag per parameter of the strategy, with its description, default and variable."""
    model = params_model(strategy_class)
    group = run.add_argument_group(
        f"parameters of {strategy_class.name or strategy_class.__name__}",
        "flags, or TRADER_<NAME> variables; validated when the trader starts",
    )
    for name, field in model.model_fields.items():
        text = field.description or name
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=f"param_{name}",
            default=None,
            metavar=name.upper(),
            help=f"{text}; default {field.default}; env TRADER_{name.upper()}".replace("%", "%%"),
        )
    return list(model.model_fields)


def parser(strategy_class: type[Strategy] | None = None) -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="tradewire-trader", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a trader", description="Run one trader. Flags override settings.")
    add_setting_flags(run, FLAGS, FLAG_NOTES)
    if strategy_class is not None:
        add_strategy_flags(run, strategy_class)
    sample = commands.add_parser("sample", help="write a synthetic OHLCV CSV", description="Write a synthetic CSV.")
    sample.add_argument("path", type=Path, help="CSV file to write")
    sample.add_argument("--candles", type=int, default=2000, help="how many one-minute candles (default 2000)")
    sample.add_argument("--seed", type=int, default=7, help="synthetic data seed (default 7)")
    from tradewire_trader.backtest.cli import add_commands  # backtest run|compare|sweep|list, download

    add_commands(commands)
    return root


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {name: getattr(args, name) for name in FLAGS if getattr(args, name) is not None}
    params = {k.removeprefix("param_"): v for k, v in vars(args).items() if k.startswith("param_") and v is not None}
    if params:
        overrides["strategy_params"] = params
    return Settings(**overrides)


def write_sample(path: Path, candles: int, seed: int) -> None:
    rows = itertools.islice(synthetic_series(seed, Decimal("42000"), 60), candles)
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{c.timestamp_ms},{c.open},{c.high},{c.low},{c.close},{c.volume}" for c in rows]
    path.write_text("\n".join(lines) + "\n")


async def serve(settings: Settings) -> str:
    from tradewire_trader.service import StopRequest, run_service

    stop = StopRequest()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.request, f"received {sig.name}")
    return await run_service(settings, stop)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    strategy_class = None
    if argv[:1] == ["run"]:
        try:
            strategy_class = load_strategy_class(chosen_strategy(argv))
        except StrategyNotLoaded as error:
            print(f"cannot start: {error}", file=sys.stderr)
            return 2
    args = parser(strategy_class).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "sample":
        write_sample(args.path, args.candles, args.seed)
        return 0
    if args.command in {"backtest", "download"}:
        from tradewire_trader.backtest.cli import main as backtest

        return backtest(args)
    try:
        settings = settings_from(args)
        # Imported here: the engine pulls in ccxt and pandas (~2-3 s), which `sample` and `--help` never need.
        from tradewire_trader.components import build_strategy

        build_strategy(settings)  # its parameters are checked now, before anything starts
    except ValidationError as error:
        print(f"invalid settings: {error}", file=sys.stderr)
        return 2
    except StrategyNotLoaded as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    logging.getLogger("tradewire.trader").info(
        "trader %s: %s %s on %s data, %s, speed %s, state %s",
        settings.bot_id,
        settings.mode if settings.mode == "paper" else f"live ({'sandbox' if settings.sandbox else 'REAL MONEY'})",
        ",".join(settings.markets),
        settings.source,
        settings.strategy,
        settings.speed,
        settings.state_path,
    )
    try:
        final_status = asyncio.run(serve(settings))
    except ValueError as error:  # what cannot even start: an unknown symbol, live mode without keys, ...
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    return 1 if final_status == "error" else 0


if __name__ == "__main__":
    raise SystemExit(main())
