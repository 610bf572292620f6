"""Where a subscription is in each bot's stream, and reading the stream after it.

Per bot we remember the last delivered `seq`, event id and stream offset (the cursor). Everything a
subscription delivers is read here from the stream after the cursor, in order and once; a hole
(trimmed, or a stream broken by hand) becomes a `Resync` for the caller instead of a silent gap.

When a bot's shard loses its history (a failover to a replica that had nothing of the bot), the
publisher publishes its kept events again in a new epoch, with their original `seq` and event ids. A
cursor that had delivered some of them is carried over (`carry_over`): the new stream is read from
its start, and what it holds up to the cursor's `seq` is held back until the cursor's own last event
turns up in it, the same event. Then the held events are duplicates and nothing is delivered twice;
if the new stream does not hold that event (a gap, or another history), the caller gets a `Resync`
and the held events after it, as when any history is lost.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.reads import offset_key, read_stream
from tradewire_bus.stats import BusStats
from tradewire_bus.suspects import Suspects
from tradewire_bus.topics import Topics
from tradewire_schemas import Envelope, Event, MessageRejected, decode_event

log = logging.getLogger("tradewire.bus.subscription")

FROM_START = "0-0"


@dataclass(frozen=True)
class Resync:
    """History was lost: reload the snapshot. `bot_id` None means every bot (Redis lost its data)."""

    bot_id: str | None
    reason: str


@dataclass(frozen=True)
class Sighting:
    """What a read of the stream found of a live envelope."""

    at_offset: Event | None = None  # the event the stream holds at the envelope's offset
    elsewhere: bool = False  # the same event, at another offset (published again after a failover lost it)


@dataclass
class Cursor:
    seq: int | None  # None: accept the next event as the baseline
    offset: str  # read the stream after this entry id
    verify: bool = False  # offset came from the caller: check it still exists before trusting it
    event_id: UUID | None = None  # of the last event delivered
    # Carried over a lost history: (seq, event id) of the last event delivered in the old epoch, and
    # what the new stream held up to it, held back until it proves to be the same history.
    carried: tuple[int, UUID] | None = None
    held: list[Envelope] = field(default_factory=list)

    def read_from_start(self, carried: tuple[int, UUID] | None = None) -> None:
        self.seq, self.offset, self.verify, self.carried, self.held = None, FROM_START, False, carried, []

    def behind(self, envelope: Envelope) -> bool:
        """The envelope is after this cursor in `seq` and in offset (after the stream's end, once read)."""
        ahead = self.seq is not None and envelope.event.seq > self.seq
        return ahead and offset_key(envelope.offset) > offset_key(self.offset)


class Cursors:
    """Every bot's cursor, and `ready`: what the subscription hands its caller next."""

    def __init__(
        self,
        redis: Redis | RedisCluster,
        topics: Topics,
        config: BusConfig,
        stats: BusStats,
        after: Mapping[str, str] | None,
    ) -> None:
        self._redis = redis
        self._topics = topics
        self._batch = config.backfill_batch
        self._stats = stats
        self._by_bot: dict[str, Cursor] = {
            bot: Cursor(seq=None, offset=offset, verify=offset != FROM_START) for bot, offset in (after or {}).items()
        }
        self.ready: deque[Envelope | Resync] = deque()
        self.suspects = Suspects(stats, self.forged, config.republish_window)
        self._window = max(config.republish_window, 1)

    def __contains__(self, bot: str) -> bool:
        return bot in self._by_bot

    def get(self, bot: str) -> Cursor | None:
        return self._by_bot.get(bot)

    def start(self, bot: str, offset: str) -> Cursor:
        """The bot's cursor, or a new one reading after `offset`."""
        return self._by_bot.setdefault(bot, Cursor(seq=None, offset=offset))

    def items(self) -> list[tuple[str, Cursor]]:
        return list(self._by_bot.items())

    def offsets(self) -> dict[str, str]:
        return {bot: cursor.offset for bot, cursor in self._by_bot.items()}

    def start_over(self, bot: str | None = None) -> None:
        """Redis (or the bot's shard) lost its data: read the bot's (or every bot's) new stream from its start."""
        for name, cursor in self._by_bot.items():
            if bot is None or name == bot:
                cursor.read_from_start()
        self.suspects.forget(bot)

    def carry_over(self, bot: str) -> bool:
        """The bot's shard lost its history: read its new stream from the start, delivering only what
        comes after what we delivered if it turns out to hold the same events. False if we delivered
        nothing of the bot (nothing to carry over)."""
        cursor = self._by_bot.get(bot)
        if cursor is None or cursor.seq is None or cursor.event_id is None:
            carried = cursor.carried if cursor is not None else None  # lost again before it was proven
            if cursor is None or carried is None:
                return False
        else:
            carried = (cursor.seq, cursor.event_id)
        cursor.read_from_start(carried)
        return True

    def delivered_nothing(self, bot: str) -> bool:
        cursor = self._by_bot.get(bot)
        return cursor is None or (cursor.seq is None and cursor.carried is None)

    async def baseline(self, bot: str, epoch: str, offset: str) -> Event | None:
        """A bot we have no cursor for: start at the stream entry a live envelope names, if it exists."""
        try:
            found = await read_stream(self._redis, self._topics.bot_stream(bot), offset, offset, 1)
            event = decode_event(found[0][1][b"event"]) if found else None
        except (ResponseError, MessageRejected, KeyError) as error:
            self.garbage(bot, f"cannot read the stream of {bot!r} at {offset}: {error}")
            return None
        if event is not None:
            self.accept(Envelope(epoch=epoch, offset=offset, event=event))
        return event

    async def ring(self, envelope: Envelope, epoch: str) -> None:
        """A live envelope after the cursor rang: read the stream, and count the envelope if the stream
        does not confirm it (tradewire_bus.suspects says how)."""
        bot, event = envelope.event.bot_id, envelope.event
        if bot not in self._by_bot:
            if await self.baseline(bot, epoch, envelope.offset) != event:
                self.forged(envelope, "the stream holds no such event at its offset")
            return
        sighting = await self.backfill(bot, epoch, look_for=envelope)
        cursor = self._by_bot[bot]
        if sighting.at_offset == event:
            return
        if sighting.at_offset is not None:
            self.forged(envelope, "the stream holds another event at its offset")
        elif sighting.elsewhere:
            self._stats.stale += 1  # lost by a failover and published again at another offset
        elif cursor.seq is not None and cursor.behind(envelope):
            self.suspects.add(envelope, cursor.seq)  # beyond the stream's end: judged when it gets there
        else:
            self.forged(envelope, "the stream holds no such event at its offset")

    async def backfill(self, bot: str, epoch: str, *, look_for: Envelope | None = None) -> Sighting:
        """Read the stream after the bot's cursor to its end, saying what it held of `look_for`."""
        try:
            return await self._read_after(bot, self.start(bot, FROM_START), epoch, look_for)
        except ResponseError as error:
            # The stream key was overwritten by hand with another type, or similar: skip, don't die.
            self.garbage(bot, f"cannot read the stream of {bot!r}: {error}")
            self.resync(bot, f"the stream of {bot!r} cannot be read: {error}")
            return Sighting()

    async def _read_after(self, bot: str, cursor: Cursor, epoch: str, look_for: Envelope | None) -> Sighting:
        stream = self._topics.bot_stream(bot)
        at_offset, elsewhere = None, False
        if cursor.verify:
            cursor.verify = False
            found = await read_stream(self._redis, stream, cursor.offset, cursor.offset, 1)
            if found:
                verified = decode_event(found[0][1][b"event"])
                cursor.seq, cursor.event_id = verified.seq, verified.event_id
            else:
                self.resync(bot, f"offset {cursor.offset} is no longer in the stream; reload the snapshot")
                cursor.offset = FROM_START
        while True:
            entries = await read_stream(self._redis, stream, f"({cursor.offset}", "+", self._batch)
            for offset, fields in entries:
                try:
                    event = decode_event(fields[b"event"])
                except (MessageRejected, KeyError) as error:
                    self.garbage(fields, f"stream entry {offset}: {error}")
                    cursor.offset = offset
                    continue
                if look_for is not None and offset == look_for.offset:
                    at_offset = event
                elif look_for is not None and event == look_for.event:
                    elsewhere = True
                self._stats.backfilled += 1
                self.accept(Envelope(epoch=epoch, offset=offset, event=event))
            if len(entries) < self._batch:
                return Sighting(at_offset, elsewhere)

    def accept(self, envelope: Envelope) -> None:
        bot, seq = envelope.event.bot_id, envelope.event.seq
        cursor = self._by_bot.get(bot)
        if cursor is None:
            cursor = self._by_bot[bot] = Cursor(seq=None, offset=envelope.offset)
        elif cursor.carried is not None:
            self._continue_carried(cursor, envelope)
            return
        elif cursor.seq is not None and seq <= cursor.seq:
            self._stats.duplicates += 1
            return
        elif cursor.seq is not None and seq > cursor.seq + 1:
            self.resync(bot, f"events {cursor.seq + 1}..{seq - 1} are no longer in the stream")
        cursor.seq, cursor.offset, cursor.event_id = seq, envelope.offset, envelope.event.event_id
        self._stats.delivered += 1
        self.ready.append(envelope)
        self.suspects.judge(envelope)

    def _continue_carried(self, cursor: Cursor, envelope: Envelope) -> None:
        """The new stream of a bot whose shard lost its history, read from its start (`carry_over`)."""
        assert cursor.carried is not None
        last_seq, last_id = cursor.carried
        event = envelope.event
        # A publisher publishes again at most its window of events: a longer new history before our
        # last seq is another history, and holding it all back would only cost memory.
        if event.seq < last_seq and len(cursor.held) < self._window:
            cursor.held.append(envelope)
            cursor.offset = envelope.offset  # read on; delivered later if the proof fails
            return
        held, cursor.carried, cursor.held = cursor.held, None, []
        if event.seq == last_seq and event.event_id == last_id:
            # The same history, published again: everything up to here was delivered before.
            log.info("the new history of %s holds what was delivered (to seq %d): carried over", event.bot_id, last_seq)
            self._stats.duplicates += len(held) + 1
            cursor.seq, cursor.offset, cursor.event_id = event.seq, envelope.offset, event.event_id
            return
        self.resync(
            event.bot_id,
            f"the shard of {event.bot_id!r} lost its data and its new history does not hold the last event"
            f" delivered (seq {last_seq}); reload the snapshot",
        )
        for envelope_ in [*held, envelope]:
            self.accept(envelope_)

    def resync(self, bot: str | None, reason: str) -> None:
        log.warning("resync needed for %s: %s", bot or "every bot", reason)
        self._stats.resyncs += 1
        self.ready.append(Resync(bot_id=bot, reason=reason))

    def forged(self, envelope: Envelope, reason: str) -> None:
        self._stats.forged += 1
        log.warning(
            "skipped a forged live envelope for %s (seq %d, offset %s): %s",
            envelope.event.bot_id,
            envelope.event.seq,
            envelope.offset,
            reason,
        )

    def garbage(self, raw: object, reason: str) -> None:
        self._stats.garbage += 1
        log.warning("skipped garbage on the bus (%s): %.200r", reason, raw)
