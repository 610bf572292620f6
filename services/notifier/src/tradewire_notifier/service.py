"""The notifier: one bus subscription in, an outbox per destination, a sender per destination out.

Like the dashboard's recorder it resumes each bot after the offset stored with its last messages, so
reading is at-least-once and queueing idempotent (the outbox is keyed by destination and event id, and
a batch's messages are stored in the same transaction as the cursor past them). A bot the notifier
has no cursor for is read from its first retained event, but events from before the notifier's first
start are skipped: installing it does not replay last month's trades into a phone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack, aclosing
from datetime import UTC, datetime

from tradewire_bus import FROM_START, RedisBus, Resync
from tradewire_notifier.daily import DailySummaries
from tradewire_notifier.destinations.base import Outlet
from tradewire_notifier.destinations.chat_webhooks import ChatWebhookOutlet
from tradewire_notifier.destinations.smtp import EmailOutlet
from tradewire_notifier.destinations.telegram import TelegramOutlet, make_bot
from tradewire_notifier.destinations.webhook import WebhookOutlet
from tradewire_notifier.messages import Notice, notice
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.rules import due_at, wanted
from tradewire_notifier.sender import Sender
from tradewire_notifier.settings import Destination, Settings, TelegramDestination, WebhookDestination
from tradewire_notifier.store import Store
from tradewire_notifier.telegram_commands import TelegramCommands
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, stream_order

log = logging.getLogger("tradewire.notifier")

# Events that make no message (prices, stats, heartbeats: most of the traffic) move the stored cursor at
# most this often; re-reading a few of them after a crash costs nothing.
CURSOR_EVERY_S = 1.0


def outlet_for(destination: Destination) -> Outlet:
    if isinstance(destination, WebhookDestination):
        return WebhookOutlet(destination)
    if isinstance(destination, TelegramDestination):
        return TelegramOutlet(destination, make_bot(destination))
    if destination.kind == "email":
        return EmailOutlet(destination)
    return ChatWebhookOutlet(destination)


class Notifier:
    def __init__(self, settings: Settings, bus: RedisBus, store: Store, metrics: NotifierMetrics) -> None:
        self._settings = settings
        self._bus = bus
        self._store = store
        self._metrics = metrics
        self._since = store.first_start(time.time())
        self.senders = {
            d.name: Sender(d.name, outlet_for(d), d.delivery, store, metrics) for d in settings.destinations
        }
        self._backoff = Backoff(bus.config.reconnect_min_s, bus.config.reconnect_max_s)
        metrics.watch(store.counts, lambda: bus.stats)
        self.daily = DailySummaries(settings, bus, store, self._queued)

    async def run(self) -> None:
        async with AsyncExitStack() as stack, asyncio.TaskGroup() as tasks:
            for sender in self.senders.values():
                stack.push_async_callback(sender.outlet.aclose)
                tasks.create_task(sender.run(), name=f"sender {sender.name}")
            for destination in self._settings.destinations:
                if isinstance(destination, TelegramDestination) and destination.command_chat_ids:
                    outlet = self.senders[destination.name].outlet
                    assert isinstance(outlet, TelegramOutlet)
                    commands = TelegramCommands(
                        destination.name,
                        outlet.bot,
                        self._bus,
                        set(destination.command_chat_ids),
                        self._metrics,
                        poll_timeout_s=destination.poll_timeout_s,
                        command_timeout_s=self._settings.command_timeout_s,
                    )
                    tasks.create_task(commands.run(), name=f"telegram commands {destination.name}")
            tasks.create_task(self._read_forever(), name="bus reader")
            if self._settings.daily_summary_at is not None:
                tasks.create_task(self.daily.run(), name="daily summaries")

    async def _read_forever(self) -> None:
        while True:
            try:
                await self._read()
            except Exception:
                # Nothing is lost: the next attempt resumes from the stored cursors.
                log.exception("notifier: reading the bus failed; resuming from the stored cursors")
                await self._backoff.wait()
            finally:
                self._metrics.connected.set(0)

    async def _read(self) -> None:
        after = await self._bus.resume_points(self._store.cursors())  # no cursor: a bot's whole history
        log.info("notifier resuming %d bot(s): %s", len(after), after)
        cursor: dict[str, tuple[str, str]] = {}
        known = set(after)
        flushed = time.monotonic()
        async with self._bus.subscribe(after=after) as events:
            self._metrics.connected.set(1)
            self._backoff.reset()
            async for item in events:
                if isinstance(item, Resync):
                    log.warning("notifier: history lost for %s: %s", item.bot_id or "every bot", item.reason)
                    self._metrics.skipped.labels("resync").inc()
                    continue
                messages = []
                if item.event.bot_id not in known:
                    # A bot that appeared after we listed the bots: what it published before our
                    # subscription was confirmed is only in its stream (as in the dashboard's recorder).
                    known.add(item.event.bot_id)
                    for earlier in await self._earlier(item):
                        messages += self._messages(earlier)
                cursor[item.event.bot_id] = (item.epoch, item.offset)
                messages += self._messages(item)
                if messages or time.monotonic() - flushed >= CURSOR_EVERY_S:
                    new = self._store.record(cursor, messages)
                    cursor, flushed = {}, time.monotonic()
                    self._queued(messages, new)

    async def _earlier(self, first: Envelope) -> list[Envelope]:
        earlier = []
        async with aclosing(self._bus.replay(first.event.bot_id, FROM_START)) as history:
            async for item in history:
                if isinstance(item, Envelope):
                    if stream_order(item.offset) >= stream_order(first.offset):
                        break
                    earlier.append(item)
        return earlier

    def _messages(self, envelope: Envelope) -> list[tuple[str, Notice, float]]:
        event = envelope.event
        self._metrics.events.labels(event.type).inc()
        if event.ts.timestamp() < self._since:
            self._metrics.skipped.labels("before_first_start").inc()
            return []
        message = notice(event, self._settings.dashboard_url)
        if message is None:
            return []
        now = datetime.now(UTC)
        return [
            (d.name, message, due_at(d.rules.quiet_hours, now).timestamp())
            for d in self._settings.destinations
            if wanted(d.rules, event)
        ]

    def _queued(self, messages: list[tuple[str, Notice, float]], new: list[str]) -> None:
        for name in new:
            self._metrics.queued.labels(name).inc()
            self.senders[name].wake.set()
        if messages:
            log.debug("queued %s for %s", messages[0][1].event_type, new, extra={"event_id": messages[0][1].event_id})
        if len(new) < len(messages):
            # Read again after a restart or a resync: queued (and maybe sent) before, so not again.
            self._metrics.skipped.labels("already_queued").inc(len(messages) - len(new))
