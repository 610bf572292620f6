"""One backtest: the trader's own engine (strategy -> intents -> paper fill model -> books -> events)
over a CandleTable, with the in-memory publisher where paper and live have Redis.

Nothing here decides, fills or books anything: that is the engine's work, the same code a paper or
live bot runs. This module feeds it candles and reads back the `trade_executed` events it published.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import TradeExecuted
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.closed_trade import ClosedTrade, closed_trades
from tradewire_trader.backtest.equity_curve import EquityCurve, equity_curve
from tradewire_trader.backtest.figures import Figures, compute_figures
from tradewire_trader.backtest.table_market import TableMarket
from tradewire_trader.components import build_paper_trader
from tradewire_trader.multi_market import MultiMarket
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore

Candles = CandleTable | dict[str, CandleTable]  # one symbol's, or every symbol's on the same candle times

# Nobody watches a backtest live: price updates, candles for charts and periodic stats would only cost
# time (speed 0 is "as fast as possible", which is what tells the engine not to publish candles).
# Trades, their stats and status changes are published as always.
QUIET = {"price_every": 10**9, "stats_every_s": 1e9, "speed": 0}


@dataclass(frozen=True)
class BacktestResult:
    settings: Settings
    candles: CandleTable  # the first symbol's (the report's price chart); every symbol's in `tables`
    step_ms: int
    fills: list[TradeExecuted]
    trades: list[ClosedTrade]
    curve: EquityCurve
    figures: Figures
    refused_orders: int
    tables: dict[str, CandleTable] | None = None


async def run_engine(
    settings: Settings,
    candles: Candles,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[TradeExecuted], int]:
    """Every fill the engine made over these candles (one table, or one per symbol on the same times), as
    published, and how many orders it refused."""
    tables = candles if isinstance(candles, dict) else {settings.symbol: candles}
    candles = tables[settings.markets[0]]
    store = StateStore(Path(":memory:"))
    publisher = InMemoryPublisher()
    width = (
        {"candle_seconds": int(candles.timestamp_ms[1] - candles.timestamp_ms[0]) // 1000} if len(candles) > 1 else {}
    )
    trader = build_paper_trader(settings.model_copy(update={**QUIET, **width}), store, publisher)
    trader.status = "running"
    drainer = asyncio.create_task(trader.outbox.run())
    try:
        if len(tables) == 1:
            await trader.run(TableMarket(candles, progress))
        else:  # progress counts the first symbol's candles
            markets = {s: TableMarket(t, progress if s == settings.symbol else None) for s, t in tables.items()}
            await trader.run(MultiMarket(markets))
        await trader.cancel_open_orders()
        if not await trader.outbox.flush(60):
            raise RuntimeError(f"the in-memory outbox did not drain ({trader.outbox.durable_backlog} left)")
    finally:
        drainer.cancel()
        store.close()
    fills = [event for event in publisher.events() if isinstance(event, TradeExecuted)]
    return fills, trader.rejected_orders


def run_backtest(
    settings: Settings,
    candles: Candles,
    step_ms: int,
    progress: Callable[[int], None] | None = None,
) -> BacktestResult:
    tables = candles if isinstance(candles, dict) else {settings.symbol: candles}
    candles = tables[settings.markets[0]]
    if len(candles) < 2:
        raise ValueError(f"{candles.source}: a backtest needs at least 2 candles, the range holds {len(candles)}")
    fills, refused = asyncio.run(run_engine(settings, tables, progress))
    trades = closed_trades(fills)
    starting = {settings.quote: settings.starting_quote, settings.base: settings.starting_base}
    closes = {symbol: table.close for symbol, table in tables.items()}
    curve = equity_curve(candles.timestamp_ms, closes, settings.quote, starting, fills, trades)
    fees = float(sum((f.fee_quote or Decimal(0) for f in fills), Decimal(0)))
    figures = compute_figures(curve, trades, list(closes.values()), step_ms, fees)
    return BacktestResult(settings, candles, step_ms, fills, trades, curve, figures, refused, tables)


def rows(candles: Candles, lo: int, hi: int) -> Candles:
    """Candles lo..hi of one table, or of every symbol's."""
    if isinstance(candles, dict):
        return {symbol: table.rows(lo, hi) for symbol, table in candles.items()}
    return candles.rows(lo, hi)


def first_table(candles: Candles) -> CandleTable:
    return next(iter(candles.values())) if isinstance(candles, dict) else candles
