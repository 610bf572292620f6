"""What a bot's whole recorded history adds up to, worked out by the database: realized profit per day,
the cumulative realized profit over time (the equity curve of closed trades) and a per-symbol table.

The control room receives it once per bot when its socket connects (`performance`), then folds in each
trade that arrives live after `through`, the newest recorded offset the figures include; nothing is polled.
Days and buckets are of market time (the trader's clock) when the trade has one, else of execution time, UTC.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateTimeField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from tradewire_dashboard.market_numbers import plain
from tradewire_dashboard.models import Trade
from tradewire_schemas import stream_order

# The equity curve has one point per hour of market time, or per day beyond this many hours (a long
# history would otherwise send thousands of points the chart cannot show apart).
MAX_HOURLY_POINTS = 1500
HOUR_S, DAY_S = 3600, 86400
# The recorder stores in offset order; the newest offset is among the last rows it wrote.
_NEWEST_ROWS = 200

Message = dict[str, Any]


def _buckets(closed: QuerySet[Trade], trunc: type[TruncDay] | type[TruncHour]) -> list[tuple[Any, Decimal]]:
    at = Coalesce("market_time", "executed_at", output_field=DateTimeField())
    rows = (
        closed.annotate(bucket=trunc(at, tzinfo=UTC))
        .values("bucket")
        .annotate(profit=Sum("realized_profit"))
        .order_by("bucket")
    )
    return [(row["bucket"], row["profit"]) for row in rows]


def bot_performance(bot_id: str) -> Message:
    """The `performance` message of one bot, from every trade recorded for it so far."""
    trades = Trade.objects.filter(bot__bot_id=bot_id)
    newest = list(trades.order_by("-id").values_list("id", "offset")[:_NEWEST_ROWS])
    data: Message = {"through": None, "equity_step_s": HOUR_S, "daily": [], "equity": [], "symbols": []}
    if newest:
        # One fixed set of rows for every figure: what the recorder adds meanwhile arrives live instead.
        trades = trades.filter(id__lte=newest[0][0])
        data["through"] = max((offset for _, offset in newest), key=stream_order)
        closed = trades.filter(realized_profit__isnull=False)
        data["daily"] = [{"day": day.date().isoformat(), "profit": plain(p)} for day, p in _buckets(closed, TruncDay)]
        if len(data["daily"]) * 24 > MAX_HOURLY_POINTS:
            data["equity_step_s"] = DAY_S
        data["equity"] = _cumulative(_buckets(closed, TruncHour if data["equity_step_s"] == HOUR_S else TruncDay))
        data["symbols"] = _per_symbol(trades)
    return {"type": "performance", "bot_id": bot_id, "offset": None, "data": data}


def _cumulative(buckets: list[tuple[Any, Decimal]]) -> list[Message]:
    total = Decimal(0)
    points = []
    for start, profit in buckets:
        total += profit
        points.append({"time": int(start.timestamp()), "profit": plain(total)})
    return points


def _per_symbol(trades: QuerySet[Trade]) -> list[Message]:
    closed = Q(realized_profit__isnull=False)
    rows = (
        trades.values("symbol")
        .annotate(
            trades=Count("id"),
            closed=Count("id", filter=closed),
            wins=Count("id", filter=Q(realized_profit__gt=0)),
            profit=Sum("realized_profit", filter=closed),
            pct_sum=Sum("realized_profit_pct", filter=closed),
        )
        .order_by("symbol")
    )
    return [
        {
            "symbol": row["symbol"],
            "trades": row["trades"],
            "closed": row["closed"],
            "wins": row["wins"],
            "profit": plain(row["profit"] or Decimal(0)),
            "pct_sum": plain(row["pct_sum"] or Decimal(0)),
        }
        for row in rows
    ]
