"""Strategies: a candle in, an intent out. `build_strategy(settings)` picks one by name."""

from __future__ import annotations

from tradewire_trader.settings import Settings
from tradewire_trader.strategies.base import Intent, Strategy
from tradewire_trader.strategies.rsi_reversion import RsiReversion
from tradewire_trader.strategies.sma_crossover import SmaCrossover


def build_strategy(settings: Settings) -> Strategy:
    if settings.strategy == "sma_crossover":
        return SmaCrossover(settings.fast, settings.slow, settings.order_size)
    return RsiReversion(settings.rsi_period, settings.rsi_buy_below, settings.rsi_sell_above, settings.order_size)


__all__ = ["Intent", "RsiReversion", "SmaCrossover", "Strategy", "build_strategy"]
