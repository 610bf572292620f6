"""What a trader reads: one `Notice` per event worth telling, and one summary for many.

A notice is built once from the event and stored in the outbox as it is, so a message sent after a
restart or a retry reads exactly like the one that would have gone out at first.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from tradewire_notifier.settings import Topic
from tradewire_schemas import CommandResult, Event, StatsUpdated, StatusChanged, TradeExecuted

Tone = Literal["good", "bad", "neutral"]


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    event_type: str
    topic: Topic
    bot_id: str
    ts: str
    title: str
    text: str
    tone: Tone
    url: str | None = None
    profit: str | None = None  # quote currency, for the summary's total
    currency: str | None = None


def money(value: Decimal, currency: str, *, signed: bool = False) -> str:
    """12345.6 USDT -> '12,345.60 USDT'; at least two decimals, up to eight for small amounts."""
    places = 2 if abs(value) >= 1 or value == 0 else 8
    text = f"{value:{'+' if signed else ''},.{places}f}"
    if places == 8:
        text = text.rstrip("0")
    return f"{text} {currency}"


def amount(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:,.8f}".rstrip("0")


def percent(value: Decimal) -> str:
    return f"{value:+.2f} %"


def link(dashboard_url: str | None, bot_id: str) -> str | None:
    return None if dashboard_url is None else f"{dashboard_url.rstrip('/')}/trades/?bot={quote(bot_id)}"


def topic_of(event: Event) -> Topic | None:
    if isinstance(event, TradeExecuted):
        return "trade_exit" if event.side == "sell" else "trade_entry"
    if isinstance(event, StatusChanged):
        return "error" if event.status == "error" else "status_change"
    if isinstance(event, CommandResult):
        return "command_result"
    return None


def notice(event: Event, dashboard_url: str | None) -> Notice | None:
    """The message for one event, or None for the kinds nobody is told about (prices, stats, heartbeats)."""
    topic = topic_of(event)
    if topic is None:
        return None
    common = {
        "event_id": str(event.event_id),
        "event_type": event.type,
        "topic": topic,
        "bot_id": event.bot_id,
        "ts": event.ts.isoformat(),
        "url": link(dashboard_url, event.bot_id),
    }
    if isinstance(event, TradeExecuted):
        return Notice(**common, **_trade(event))
    if isinstance(event, StatusChanged):
        tone: Tone = "bad" if event.status == "error" else "neutral"
        title = f"{event.bot_id} {event.status}"
        return Notice(**common, title=title, text=f"{title}: {event.reason} (by {event.actor})", tone=tone)
    assert isinstance(event, CommandResult)
    title = f"{event.bot_id}: {event.command or 'command'} {event.outcome}"
    return Notice(**common, title=title, text=f"{title}: {event.message}", tone="neutral")


def _trade(trade: TradeExecuted) -> dict[str, object]:
    base, _, quote_currency = trade.symbol.partition("/")
    what = f"{trade.side.upper()} {amount(trade.amount)} {base} @ {money(trade.price, quote_currency)}"
    where = f"{trade.bot_id} ({trade.mode})"
    if trade.side == "buy" or trade.realized_profit is None:
        return {
            "title": f"{where}: bought {base}",
            "text": f"{where}: {what}, cost {money(trade.cost, quote_currency)}, "
            f"fee {money(trade.fee, trade.fee_currency)}",
            "tone": "neutral",
        }
    profit = trade.realized_profit
    pct = f" ({percent(trade.realized_profit_pct)})" if trade.realized_profit_pct is not None else ""
    won = profit >= 0
    return {
        "title": f"{where}: {'profit' if won else 'loss'} {money(profit, quote_currency, signed=True)}{pct}",
        "text": (
            f"{where}: {what} — {'profit' if won else 'loss'} {money(profit, quote_currency, signed=True)}{pct}, "
            f"fee {money(trade.fee, trade.fee_currency)}, position {amount(trade.position)} {base}"
        ),
        "tone": "good" if won else "bad",
        "profit": format(profit, "f"),
        "currency": quote_currency,
    }


def daily(bot_id: str, day: str, stats: StatsUpdated, before: StatsUpdated | None, dashboard_url: str | None) -> Notice:
    """A bot's day: what changed since the previous daily summary (or since it started), and where it stands."""
    c = stats.quote_currency
    trades = stats.trades - (before.trades if before else 0)
    wins = stats.wins - (before.wins if before else 0)
    losses = stats.losses - (before.losses if before else 0)
    profit = stats.realized_profit - (before.realized_profit if before else Decimal(0))
    title = f"{bot_id} on {day}: {trades} trades, realized {money(profit, c, signed=True)}"
    text = (
        f"{title} ({wins} won, {losses} lost); equity {money(stats.equity, c)}, unrealized "
        f"{money(stats.unrealized_profit, c, signed=True)}, win rate {stats.win_rate:.1f} % overall, "
        f"max drawdown {stats.max_drawdown:.2f} %"
    )
    return Notice(
        event_id=f"daily:{day}:{bot_id}",  # one per bot and day: queued once however often it is computed
        event_type="daily_summary",
        topic="daily_summary",
        bot_id=bot_id,
        ts=stats.ts.isoformat(),
        title=title,
        text=text,
        tone="good" if profit > 0 else "bad" if profit < 0 else "neutral",
        url=link(dashboard_url, bot_id),
        currency=c,
    )


def summary(notices: list[Notice]) -> str:
    """One message for many: counts by bot and topic, the net realized profit, then the last few lines."""
    by_bot = Counter(n.bot_id for n in notices)
    lines = [f"{len(notices)} notifications from {', '.join(f'{b} ({c})' for b, c in sorted(by_bot.items()))}"]
    topics = Counter(n.topic for n in notices)
    lines.append(", ".join(f"{count} {topic.replace('_', ' ')}" for topic, count in sorted(topics.items())))
    totals: dict[str, Decimal] = {}
    for n in notices:
        if n.profit is not None and n.currency is not None:
            totals[n.currency] = totals.get(n.currency, Decimal(0)) + Decimal(n.profit)
    for currency, total in sorted(totals.items()):
        lines.append(f"net realized: {money(total, currency, signed=True)}")
    lines.append("latest:")
    lines.extend(f"- {n.text}" for n in notices[-3:])
    urls = sorted({n.url for n in notices if n.url})
    lines.extend(urls[:3])
    return "\n".join(lines)


def render(notice: Notice) -> str:
    """One notice as plain text with its link (Telegram, Discord, Slack, e-mail bodies)."""
    return notice.text if notice.url is None else f"{notice.text}\n{notice.url}"
