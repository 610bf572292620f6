"""The control room page. Everything live on it arrives over the WebSocket; this only renders the shell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tradewire_dashboard.consumer import CONTROL_PERMISSION
from tradewire_dashboard.market_numbers import plain
from tradewire_dashboard.models import RecorderCursor, Trade


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def trade_message(trade: Trade) -> dict[str, Any]:
    """A recorded trade in the shape of a pushed `trade` message, so the page renders both alike."""
    return {
        "type": "trade",
        "bot_id": trade.bot.bot_id,
        "offset": trade.offset,
        "data": {
            "event_id": str(trade.event_id),
            "bot_id": trade.bot.bot_id,
            "seq": trade.seq,
            "ts": trade.executed_at.isoformat(),
            "mode": trade.mode,
            "side": trade.side,
            "symbol": trade.symbol,
            "price": _plain(trade.price),
            "amount": _plain(trade.amount),
            "cost": _plain(trade.cost),
            "fee": _plain(trade.fee),
            "fee_currency": trade.fee_currency,
            "realized_profit": _plain(trade.realized_profit),
            "realized_profit_pct": _plain(trade.realized_profit_pct),
            "position": _plain(trade.position),
            "market_time": trade.market_time.isoformat() if trade.market_time else None,
            "order_type": trade.order_type or None,
            "reason": trade.reason or None,
            "tag": trade.tag or None,
            "entry": None if trade.held_s is None else {"price": _plain(trade.entry_price), "duration_s": trade.held_s},
        },
    }


@login_required
def control_room(request: HttpRequest) -> HttpResponse:
    limit = settings.TRADEWIRE.recent_trades
    recent = Trade.objects.select_related("bot").order_by("-executed_at", "-seq")[:limit]
    config = {
        "wsPath": "/ws/control/",
        "reconnectMaxMs": int(settings.TRADEWIRE.browser_reconnect_max_s * 1000),
        "username": request.user.get_username(),
        "canControl": request.user.has_perm(CONTROL_PERMISSION),
        "recentTrades": [trade_message(trade) for trade in reversed(recent)],
        # Where the recorded history ends for each bot: the page's first connection resumes there, so
        # the trades published while the page loaded are replayed instead of falling between the two.
        "resumeFrom": {cursor.bot.bot_id: cursor.offset for cursor in RecorderCursor.objects.select_related("bot")},
    }
    return render(request, "dashboard/control_room.html", {"config": config})
