"""The candles a backtest runs on: a data file, or the trader's synthetic generator; cut to a date range
and checked (no gap, no bad row) before anything trades on them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from tradewire_trader.backtest.candle_file import read_candles
from tradewire_trader.backtest.candle_table import CandleTable, timeframe_ms
from tradewire_trader.synthetic import synthetic_series

TIMEFRAMES = {60_000: "1m", 300_000: "5m", 900_000: "15m", 3_600_000: "1h", 14_400_000: "4h", 86_400_000: "1d"}


@dataclass(frozen=True)
class CandleSource:
    data: Path | None = None  # None: synthetic candles
    timeframe: str | None = None  # None: read from the file (the most common step)
    start: str | None = None  # ISO date or datetime, UTC
    end: str | None = None
    synthetic_candles: int = 10_000
    seed: int = 11
    start_price: Decimal = Decimal("42000")


def parse_time(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def timeframe_name(step_ms: int) -> str:
    return TIMEFRAMES.get(step_ms, f"{step_ms // 1000}s")


def load(source: CandleSource) -> tuple[CandleTable, int, str]:
    """The checked candles, the candle width in ms and its name (1m, 1h, ...)."""
    if source.data is None:
        step_ms = timeframe_ms(source.timeframe or "1m")
        series = synthetic_series(source.seed, source.start_price, step_ms // 1000)
        table = CandleTable.from_candles(
            itertools.islice(series, source.synthetic_candles), f"synthetic (seed {source.seed})"
        )
    else:
        table = read_candles(source.data)
        if source.timeframe is not None:
            step_ms = timeframe_ms(source.timeframe)
        elif len(table) > 1:
            steps, counts = np.unique(np.diff(table.timestamp_ms), return_counts=True)
            step_ms = int(steps[np.argmax(counts)])
        else:
            step_ms = 60_000
    table = table.between(
        None if source.start is None else parse_time(source.start),
        None if source.end is None else parse_time(source.end),
    )
    table.check(step_ms)
    return table, step_ms, source.timeframe or timeframe_name(step_ms)
