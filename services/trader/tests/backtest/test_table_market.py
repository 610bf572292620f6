"""Candles handed to the engine hold exactly the decimals the file spelled, whatever the conversion path."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.table_market import exact_column


def test_floats_become_the_decimals_their_repr_spells_digit_for_digit() -> None:
    column = np.array([42000.12, 41003.7, 3.0, 1e-8, 1 / 3])
    spelled = [str(d) for d in exact_column(column)]
    assert spelled == ["42000.12", "41003.7", "3.0", "1E-8", "0.3333333333333333"]


async def test_the_market_yields_every_candle_from_the_start_index_and_reports_progress() -> None:
    from tradewire_trader.backtest.table_market import TableMarket

    n = 70_000  # more than one conversion chunk
    ts = np.arange(n, dtype=np.int64) * 60_000
    prices = np.round(100 + np.arange(n) * 0.01, 2)
    table = CandleTable(ts, prices, prices + 1, prices - 1, prices, np.full(n, 2.5))
    seen: list[int] = []
    candles = [c async for c in TableMarket(table, seen.append).candles(5)]
    assert len(candles) == n - 5 and sum(seen) == n - 5
    assert candles[0].timestamp_ms == 5 * 60_000 and candles[0].close == Decimal("100.05")
    assert candles[-1].close == Decimal(repr(float(prices[-1])))
