"""The daily summary: at `daily_summary_at` each bot's day (trades, profit, equity) to the destinations that
want it, from the bot's latest statistics minus those of the previous summary. One per bot and day:
its outbox key is the day, and the statistics it started from are stored with it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from tradewire_bus import RedisBus
from tradewire_notifier.messages import Notice, daily
from tradewire_notifier.rules import due_at
from tradewire_notifier.settings import Settings
from tradewire_notifier.store import Store
from tradewire_schemas import StatsUpdated

log = logging.getLogger("tradewire.notifier.daily")

Queued = Callable[[list[tuple[str, Notice, float]], list[str]], None]


def next_run(at: time_of_day, timezone: str, now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


class DailySummaries:
    def __init__(self, settings: Settings, bus: RedisBus, store: Store, queued: Queued) -> None:
        self._settings = settings
        self._bus = bus
        self._store = store
        self._queued = queued

    async def run(self) -> None:
        assert self._settings.daily_summary_at is not None
        while True:
            now = datetime.now(UTC)
            due = next_run(self._settings.daily_summary_at, self._settings.daily_summary_timezone, now)
            await asyncio.sleep((due - now).total_seconds())  # a schedule, not a guess: wake at the hour
            try:
                await self.queue_day(due.date().isoformat())
            except Exception:
                log.exception("daily summary of %s failed", due.date())

    async def queue_day(self, day: str) -> int:
        """Queue the day's summary of every bot with statistics; returns how many messages were new."""
        wanting = [d for d in self._settings.destinations if "daily_summary" in d.rules.topics]
        new_total = 0
        for bot in await self._bus.bots():
            stats = (await self._bus.snapshot(bot)).stats
            stored = self._store.meta(f"daily:{bot}")
            previous = json.loads(stored) if stored else None
            if stats is None or (previous is not None and previous["day"] == day):
                continue
            before = StatsUpdated.model_validate_json(previous["stats"]) if previous else None
            notice = daily(bot, day, stats, before, self._settings.dashboard_url)
            now = datetime.now(UTC)
            messages = [
                (d.name, notice, due_at(d.rules.quiet_hours, now).timestamp())
                for d in wanting
                if d.rules.bots is None or bot in d.rules.bots
            ]
            mark = {f"daily:{bot}": json.dumps({"day": day, "stats": stats.model_dump_json(), "at": time.time()})}
            new = self._store.record({}, messages, mark)
            self._queued(messages, new)
            new_total += len(new)
        return new_total
