"""Strategies: indicators over a frame of candles, one decision per candle. See `base.py` and docs/strategies.md."""

from __future__ import annotations

from tradewire_trader.strategies.bar import Bar
from tradewire_trader.strategies.base import Intent, Strategy, enter, exit_, sweep
from tradewire_trader.strategies.loader import BUILT_IN, StrategyNotLoaded, load_strategy_class, read_params

__all__ = [
    "BUILT_IN",
    "Bar",
    "Intent",
    "Strategy",
    "StrategyNotLoaded",
    "enter",
    "exit_",
    "load_strategy_class",
    "read_params",
    "sweep",
]
