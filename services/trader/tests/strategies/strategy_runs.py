"""Runs a strategy over hand-made closes the way the engine does, tracking a pretend position."""

from __future__ import annotations

from decimal import Decimal as D

from candle_list import CandleList

from tradewire_trader.candles import Candle
from tradewire_trader.positions import Position
from tradewire_trader.strategies import Strategy
from tradewire_trader.strategies.feed import IndicatorFeed


def closes(*values: float) -> list[Candle]:
    return [Candle(i * 60_000, D(str(v)), D(str(v)), D(str(v)), D(str(v)), D(1)) for i, v in enumerate(values)]


def decisions(strategy: Strategy, candles: list[Candle], *, streaming: bool = False) -> list[tuple[D, str, str]]:
    """(close, side, tag) of every intent, entering and exiting a pretend position as asked."""
    feed = IndicatorFeed(strategy, None if streaming else CandleList(candles).history())
    position: Position | None = None
    seen = []
    for index, candle in enumerate(candles):
        bar = feed.bar(index, candle)
        if not feed.ready(index):
            continue
        intent = strategy.decide(bar, position)
        if intent is None:
            continue
        seen.append((candle.close, intent.side, intent.tag))
        if intent.side == "buy":
            position = Position("BTC/USDT", D(1), candle.close, candle.timestamp_ms, candle.close)
        else:
            position = None
    return seen
