"""What a bot's whole recorded history adds up to: realized profit per day, the cumulative realized profit
over time (the equity curve of closed trades) and a per-symbol table.

The control room receives it once per bot when its socket connects (`performance`), then folds in each
trade that arrives live after `through`, the newest recorded offset the figures include; nothing is polled.
Days and buckets are of market time (the trader's clock) when the trade has one, else of execution time, UTC.

The figures are a fold over the trade rows, in exact decimals (`Figures.fold`); `performance_book.PerformanceBook`
keeps them up to date by folding only the rows recorded since it last looked (its tests compare that with
a fold of every row, the full recomputation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradewire_dashboard.market_numbers import plain
from tradewire_dashboard.models import MONEY
from tradewire_schemas import Envelope, TradeExecuted, stream_order

# The equity curve has one point per hour of market time, or per day beyond this many hours (a long
# history would otherwise send thousands of points the chart cannot show apart).
MAX_HOURLY_POINTS = 1500
HOUR_S, DAY_S = 3600, 86400
STORED_EXPONENT = Decimal(1).scaleb(-MONEY["decimal_places"])

Message = dict[str, Any]
# What a fold reads of a trade: (id, bot, offset, symbol, market_time, executed_at, profit, profit %).
Row = tuple[int, str, str, str, datetime | None, datetime, Decimal | None, Decimal | None]
ROW_FIELDS = (
    "id",
    "bot__bot_id",
    "offset",
    "symbol",
    "market_time",
    "executed_at",
    "realized_profit",
    "realized_profit_pct",
)


@dataclass
class SymbolFigures:
    trades: int = 0
    closed: int = 0
    wins: int = 0
    profit: Decimal = Decimal(0)
    pct_sum: Decimal = Decimal(0)


@dataclass
class Figures:
    """One bot's figures so far: the realized profit per hour (days and the equity curve derive from it
    exactly: sums of decimals) and per symbol, and the newest offset folded in."""

    through: str | None = None
    hourly: dict[int, Decimal] = field(default_factory=dict)  # hour start (epoch s) -> realized profit
    symbols: dict[str, SymbolFigures] = field(default_factory=dict)

    def fold(self, row: Row) -> None:
        _, _, offset, symbol, market_time, executed_at, profit, pct = row
        if self.through is None or stream_order(offset) > stream_order(self.through):
            self.through = offset
        figures = self.symbols.get(symbol)
        if figures is None:
            figures = self.symbols[symbol] = SymbolFigures()
        figures.trades += 1
        if profit is None:
            return
        figures.closed += 1
        figures.wins += profit > 0
        figures.profit += profit
        if pct is not None:
            figures.pct_sum += pct
        hour = int((market_time or executed_at).timestamp()) // HOUR_S * HOUR_S
        self.hourly[hour] = self.hourly.get(hour, Decimal(0)) + profit

    def message(self, bot_id: str) -> Message:
        """The `performance` message the control room receives."""
        data: Message = {"through": self.through, "equity_step_s": HOUR_S, "daily": [], "equity": [], "symbols": []}
        if self.through is not None:
            daily = _regrouped(self.hourly, DAY_S)
            data["daily"] = [
                {"day": datetime.fromtimestamp(day, UTC).date().isoformat(), "profit": plain(p)} for day, p in daily
            ]
            if len(daily) * 24 > MAX_HOURLY_POINTS:
                data["equity_step_s"] = DAY_S
            data["equity"] = _cumulative(daily if data["equity_step_s"] == DAY_S else sorted(self.hourly.items()))
            data["symbols"] = [
                {
                    "symbol": symbol,
                    "trades": row.trades,
                    "closed": row.closed,
                    "wins": row.wins,
                    "profit": plain(row.profit),
                    "pct_sum": plain(row.pct_sum),
                }
                for symbol, row in sorted(self.symbols.items())
            ]
        return {"type": "performance", "bot_id": bot_id, "offset": None, "data": data}


def row_of(envelope: Envelope) -> Row | None:
    """A trade read from the bus as the row the recorder will store for it; None for other events."""
    trade = envelope.event
    if not isinstance(trade, TradeExecuted):
        return None
    profit, pct = _as_stored(trade.realized_profit), _as_stored(trade.realized_profit_pct)
    return (0, trade.bot_id, envelope.offset, trade.symbol, trade.market_time, trade.ts, profit, pct)


def _as_stored(value: Decimal | None) -> Decimal | None:
    """Rounded as the trades table's columns keep it (`models.MONEY`: 12 decimals)."""
    return None if value is None else value.quantize(STORED_EXPONENT)


def _regrouped(hourly: dict[int, Decimal], step: int) -> list[tuple[int, Decimal]]:
    grouped: dict[int, Decimal] = {}
    for hour, profit in hourly.items():
        start = hour // step * step
        grouped[start] = grouped.get(start, Decimal(0)) + profit
    return sorted(grouped.items())


def _cumulative(buckets: list[tuple[int, Decimal]]) -> list[Message]:
    total = Decimal(0)
    points = []
    for start, profit in buckets:
        total += profit
        points.append({"time": start, "profit": plain(total)})
    return points
