"""Which events a destination is told about, and when (quiet hours delay; they never drop)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tradewire_notifier.messages import topic_of
from tradewire_notifier.settings import QuietHours, Rules
from tradewire_schemas import Event, TradeExecuted


def wanted(rules: Rules, event: Event) -> bool:
    topic = topic_of(event)
    if topic is None or topic not in rules.topics:
        return False
    if rules.bots is not None and event.bot_id not in rules.bots:
        return False
    if isinstance(event, TradeExecuted) and event.side == "sell" and event.realized_profit is not None:
        profit = event.realized_profit
        return profit >= rules.min_profit if profit >= 0 else -profit >= rules.min_loss
    return True


def due_at(quiet: QuietHours | None, now: datetime) -> datetime:
    """`now`, or the end of the quiet hours `now` falls in."""
    if quiet is None or quiet.start == quiet.end:
        return now
    local = now.astimezone(ZoneInfo(quiet.timezone))
    today_start = local.replace(hour=quiet.start.hour, minute=quiet.start.minute, second=0, microsecond=0)
    today_end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if quiet.start < quiet.end:  # e.g. 12:00-14:00, within one day
        inside = today_start <= local < today_end
        end = today_end
    else:  # e.g. 22:00-07:00, across midnight
        inside = local >= today_start or local < today_end
        end = today_end if local < today_end else today_end + timedelta(days=1)
    return end.astimezone(UTC) if inside else now
