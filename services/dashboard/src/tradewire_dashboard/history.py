"""Recorded trades: a paged history page and a CSV export, both filtered by bot."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tradewire_dashboard.market_numbers import plain
from tradewire_dashboard.market_precision import with_precision
from tradewire_dashboard.models import Bot, Trade

CSV_COLUMNS = [
    "executed_at",
    "bot_id",
    "seq",
    "side",
    "symbol",
    "price",
    "amount",
    "cost",
    "fee",
    "fee_currency",
    "realized_profit",
    "realized_profit_pct",
    "position",
    "mode",
    "order_id",
    "event_id",
    "offset",
    # trade_executed v2, empty from older traders: market time, the order, why, and an exit's entry.
    "market_time",
    "order_type",
    "liquidity",
    "reason",
    "tag",
    "entry_price",
    "held_s",
]


def filtered_trades(request: HttpRequest) -> tuple[QuerySet[Trade], str]:
    bot_id = request.GET.get("bot", "")
    trades = Trade.objects.select_related("bot").order_by("-executed_at", "-seq")
    if bot_id:
        trades = trades.filter(bot__bot_id=bot_id)
    return trades, bot_id


@login_required
def trade_history(request: HttpRequest) -> HttpResponse:
    trades, bot_id = filtered_trades(request)
    page = Paginator(with_precision(trades), settings.TRADEWIRE.history_page_size).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/trade_history.html",
        {"page": page, "bots": Bot.objects.all(), "bot_id": bot_id},
    )


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


# A cell a spreadsheet would run as a formula: `order_id` and `fee_currency` are free text (from the
# exchange, in live mode), and "=HYPERLINK(...)" was exported as is. Such text gets a leading "'",
# which spreadsheets show as text (OWASP's advice for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: object) -> object:
    """Free text made safe (`safe_cell`); numbers exact plain decimals for programs ('0', not the column's
    '0E-12' or '40800.920000000000'), a negative one staying a number; times in ISO 8601; no value empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    return value.isoformat() if isinstance(value, datetime) else safe_cell(value)


def csv_rows(trades: QuerySet[Trade]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for trade in trades.iterator(chunk_size=1000):
        # Each column is the trade's field of that name (the bot's id for bot_id).
        row = [_cell(trade.bot.bot_id if name == "bot_id" else getattr(trade, name)) for name in CSV_COLUMNS]
        yield writer.writerow(row)


@login_required
def trade_csv(request: HttpRequest) -> HttpResponse:
    trades, bot_id = filtered_trades(request)
    name = f"trades-{bot_id or 'all'}.csv"
    # Built in full rather than streamed: under ASGI a streamed sync iterator is consumed in one go
    # anyway (with a warning), and a history export is a download, not a live feed.
    return HttpResponse(
        "".join(csv_rows(trades)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
