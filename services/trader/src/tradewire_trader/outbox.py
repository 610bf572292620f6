"""The outbox: events leave in order through the Publisher, and publishing never blocks trading.

Durable events (trades, status changes, command results) were written to the state store in the same
transaction as the change they describe; they are never dropped, and are removed from the store only
once the bus confirmed them with a seq. Price, stats and heartbeat updates are conflated: a newer
one replaces an older one still waiting, so during an outage the backlog holds one of each at most.
When Redis is unreachable the drainer backs off with jitter and retries; an event whose earlier
attempt may have landed (a timeout, or a crash before confirming) is first looked up in the bot's
stream by its event id, so it is never published twice.

A confirmation (the durable event is on the bus: drop it from the store) is written with the trader's
next state change, not in a transaction of its own, unless `CONFIRMS_WITHIN` events were published
since the oldest one still unwritten, or `CONFIRM_AFTER_S` passed and the outbox is idle. So after a crash
only events among the stream's last `CONFIRMS_WITHIN` can be in the store unconfirmed, and the lookup,
which reads the last 1,000 entries (stream_lookup.py), finds each of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel

from tradewire_bus import BusError
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, Event
from tradewire_trader.state_store import StateStore

log = logging.getLogger("tradewire.trader.outbox")

# Looks an event id up among the bot's recently published events: its seq, or None if not there.
PublishedLookup = Callable[[UUID], Awaitable[int | None]]
SEQ_SAVE_INTERVAL_S = 1.0
CONFIRMS_WITHIN = 100  # events published after a confirmation not yet written, at most
CONFIRM_AFTER_S = 1.0


class SeqPublisher(Protocol):
    """`tradewire_bus.Publisher` plus the seq floor both real implementations offer."""

    async def publish(self, event: Event) -> Envelope: ...

    def continue_after(self, bot_id: str, seq: int) -> None: ...


@dataclass(eq=False)
class _Pending:
    built: Event | Callable[[], Event]  # a conflatable update may be built only when it is sent
    outbox_id: int | None  # None: a conflatable update that lives only in memory
    maybe_published: bool = False
    superseded: bool = field(default=False)
    key: str = ""

    @property
    def event(self) -> Event:
        if not isinstance(self.built, BaseModel):
            self.built = self.built()
        return self.built


class Outbox:
    def __init__(
        self,
        store: StateStore,
        publisher: SeqPublisher,
        *,
        lookup: PublishedLookup | None = None,
        backoff: Backoff | None = None,
        observe_publish: Callable[[float], None] | None = None,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._lookup = lookup
        self._backoff = backoff or Backoff(0.05, 5.0)
        self._observe_publish = observe_publish
        self._queue: deque[_Pending] = deque()
        self._latest: dict[str, _Pending] = {}
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self.durable_backlog = 0
        self.last_seq = store.last_seq()
        self._seq_saved_at = 0.0
        self._since_unwritten = 0  # events published since a confirmation was left unwritten (or more)
        self._confirm_timer: asyncio.TimerHandle | None = None
        self._confirms_due = False
        self.published_by_type: Counter[str] = Counter()  # confirmed by the bus, for metrics and benches
        self.failures = 0
        self.connected = True

    def resume(self, bot_id: str, floor: int = 0) -> None:
        """After a restart: queue what the store holds unconfirmed, and keep seq above what we used."""
        self.last_seq = max(self.last_seq, floor)
        self._publisher.continue_after(bot_id, self.last_seq)
        for outbox_id, event in self._store.pending():
            self._append(_Pending(event, outbox_id, maybe_published=True))
            self.durable_backlog += 1

    def add_durable(self, outbox_id: int, event: Event) -> None:
        self._append(_Pending(event, outbox_id))
        self.durable_backlog += 1

    def add_latest(self, event: Event | Callable[[], Event], key: str | None = None) -> None:
        """Queue an update that a newer one with the same key (default: its type) replaces while waiting.

        `event` may be a function that builds it: called only if the update is still the latest when
        its turn comes, so updates that are replaced unseen (a fast replay) cost nothing to describe.
        """
        if key is None:
            assert isinstance(event, BaseModel), "a lazily built update needs an explicit key"
            key = event.type
        previous = self._latest.get(key)
        if previous is not None:
            previous.superseded = True
        item = _Pending(event, None, key=key)
        self._latest[key] = item
        self._append(item)

    @property
    def published(self) -> int:
        return sum(self.published_by_type.values())

    def _append(self, item: _Pending) -> None:
        self._queue.append(item)
        self._drained.clear()
        self._wakeup.set()

    async def flush(self, timeout: float) -> bool:
        """Wait until everything queued is published; False if that did not happen in time."""
        try:
            async with asyncio.timeout(timeout):
                await self._drained.wait()
            return True
        except TimeoutError:
            return False

    async def run(self) -> None:
        try:
            await self._drain()
        finally:
            if self._confirm_timer is not None:
                self._confirm_timer.cancel()
                self._confirm_timer = None

    async def _drain(self) -> None:
        while True:
            if not self._queue:
                self._drained.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                if self._confirms_due:
                    self._confirms_due = False
                    self._store.write_confirmations()
                continue
            item = self._queue[0]
            if item.superseded:
                self._queue.popleft()
                continue
            try:
                seq = await self._publish_once(item)
            except Exception as error:  # whatever went wrong, the event stays queued and trading goes on
                self.failures += 1
                item.maybe_published = item.outbox_id is not None
                delay = self._backoff.delay()
                if self.connected or self._backoff.attempts % 20 == 0:
                    unexpected = not isinstance(error, BusError | OSError | ConnectionError)
                    log.warning(
                        "cannot publish %s (%s); keeping it and retrying in %.2fs",
                        item.event.type,
                        error,
                        delay,
                        exc_info=unexpected,
                    )
                self.connected = False
                await asyncio.sleep(delay)
                continue
            if not self.connected:
                log.info("bus reachable again; publishing %d queued events", len(self._queue))
            self.connected = True
            self._backoff.reset()
            self._queue.popleft()
            self._settle(item, seq)

    async def _publish_once(self, item: _Pending) -> int:
        if item.maybe_published and self._lookup is not None:
            seq = await self._lookup(item.event.event_id)
            if seq is not None:
                log.info(
                    "%s %s was already on the bus as seq %d; not sending it again",
                    item.event.type,
                    item.event.event_id,
                    seq,
                )
                return seq
        started = time.perf_counter()
        envelope = await self._publisher.publish(item.event)
        if self._observe_publish is not None:
            self._observe_publish(time.perf_counter() - started)
        self.published_by_type[item.event.type] += 1
        return envelope.event.seq

    def _confirm_soon(self) -> None:
        """Wake the drainer to write what is still unwritten, unless a state change does it first."""
        self._confirm_timer = None
        self._confirms_due = True
        self._wakeup.set()

    def _settle(self, item: _Pending, seq: int) -> None:
        self.last_seq = max(self.last_seq, seq)
        if item.outbox_id is not None:
            self._store.confirm_later(item.outbox_id, seq)  # the seq is saved with it
            self.durable_backlog -= 1
            self._seq_saved_at = time.monotonic()
            if self._confirm_timer is None:
                self._confirm_timer = asyncio.get_running_loop().call_later(CONFIRM_AFTER_S, self._confirm_soon)
        if not self._store.unwritten_confirmations:  # the trader's last state change wrote them
            self._since_unwritten = 0
        else:
            self._since_unwritten += 1
            if self._since_unwritten >= CONFIRMS_WITHIN:
                self._store.write_confirmations()
                self._since_unwritten = 0
        if item.outbox_id is None:
            if self._latest.get(item.key) is item:
                del self._latest[item.key]
            now = time.monotonic()
            if now - self._seq_saved_at >= SEQ_SAVE_INTERVAL_S:
                self._store.remember_seq(self.last_seq)
                self._seq_saved_at = now
