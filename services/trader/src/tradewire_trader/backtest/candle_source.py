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
from tradewire_trader.facts import timeframe
from tradewire_trader.multi_market import symbol_candles
from tradewire_trader.synthetic import synthetic_series


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


def load(source: CandleSource, symbol: str | None = None, position: int = 0) -> tuple[CandleTable, int, str]:
    """The checked candles, the candle width in ms and its name (1m, 1h, ...). With a `symbol`, its own
    synthetic series (number `position` of the bot's symbols) or its file (`{pair}` in the data path)."""
    if source.data is None:
        step_ms = timeframe_ms(source.timeframe or "1m")
        if symbol is None:
            series = synthetic_series(source.seed, source.start_price, step_ms // 1000)
        else:
            series = symbol_candles(source.seed, symbol, position, source.start_price, step_ms // 1000)
        table = CandleTable.from_candles(
            itertools.islice(series, source.synthetic_candles), f"synthetic (seed {source.seed})"
        )
    else:
        table = read_candles(data_path(source.data, symbol))
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
    return table, step_ms, source.timeframe or timeframe(step_ms // 1000)


def data_path(data: Path, symbol: str | None) -> Path:
    """The file of one of several symbols: `{pair}` in the path stands for BTC_USDT (Freqtrade's naming)."""
    if symbol is None:
        return data
    if "{pair}" not in str(data):
        raise ValueError("several symbols read one file each: put {pair} in --data, e.g. data/{pair}-1m.csv")
    return Path(str(data).replace("{pair}", symbol.replace("/", "_")))


def load_symbols(source: CandleSource, symbols: list[str]) -> tuple[dict[str, CandleTable], int, str]:
    """Every symbol's checked candles, cut to the times all of them have (the engine trades them in step)."""
    if len(symbols) == 1:
        table, step_ms, name = load(source)
        return {symbols[0]: table}, step_ms, name
    loaded = [load(source, symbol, position) for position, symbol in enumerate(symbols)]
    step_ms, name = loaded[0][1], loaded[0][2]
    common = loaded[0][0].timestamp_ms
    for table, _, _ in loaded[1:]:
        common = np.intersect1d(common, table.timestamp_ms)
    if len(common) < 2:
        raise ValueError(f"{', '.join(symbols)} share {len(common)} candle times: nothing to backtest together")
    tables = {}
    for symbol, (table, _, _) in zip(symbols, loaded, strict=True):
        keep = np.isin(table.timestamp_ms, common)
        columns = [table.open[keep], table.high[keep], table.low[keep], table.close[keep], table.volume[keep]]
        tables[symbol] = CandleTable.from_columns(table.timestamp_ms[keep], columns, f"{symbol}: {table.source}")
    return tables, step_ms, name
