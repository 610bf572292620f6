"""Where a subscription is in each bot's stream, and reading the stream after it.

Per bot we remember the last delivered `seq` and stream offset (the cursor). Everything a subscription
delivers is read here from the stream after the cursor, in order and once; a hole (trimmed, or a
stream broken by hand) becomes a `Resync` for the caller instead of a silent gap.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.reads import read_stream
from tradewire_bus.stats import BusStats
from tradewire_bus.topics import Topics
from tradewire_schemas import Envelope, Event, MessageRejected, decode_event

log = logging.getLogger("tradewire.bus.subscription")

FROM_START = "0-0"


@dataclass(frozen=True)
class Resync:
    """History was lost: reload the snapshot. `bot_id` None means every bot (Redis lost its data)."""

    bot_id: str | None
    reason: str


@dataclass
class Cursor:
    seq: int | None  # None: accept the next event as the baseline
    offset: str  # read the stream after this entry id
    verify: bool = False  # offset came from the caller: check it still exists before trusting it


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
                cursor.seq, cursor.offset, cursor.verify = None, FROM_START, False

    def delivered_nothing(self, bot: str) -> bool:
        cursor = self._by_bot.get(bot)
        return cursor is None or cursor.seq is None

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

    async def backfill(self, bot: str, epoch: str, *, look_for: str | None = None) -> Event | None:
        """Read the stream after the bot's cursor to its end; returns the event found at `look_for`, if any."""
        try:
            return await self._read_after(bot, self.start(bot, FROM_START), epoch, look_for)
        except ResponseError as error:
            # The stream key was overwritten by hand with another type, or similar: skip, don't die.
            self.garbage(bot, f"cannot read the stream of {bot!r}: {error}")
            self.resync(bot, f"the stream of {bot!r} cannot be read: {error}")
            return None

    async def _read_after(self, bot: str, cursor: Cursor, epoch: str, look_for: str | None) -> Event | None:
        stream = self._topics.bot_stream(bot)
        seen = None
        if cursor.verify:
            cursor.verify = False
            found = await read_stream(self._redis, stream, cursor.offset, cursor.offset, 1)
            if found:
                cursor.seq = decode_event(found[0][1][b"event"]).seq
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
                if offset == look_for:
                    seen = event
                self._stats.backfilled += 1
                self.accept(Envelope(epoch=epoch, offset=offset, event=event))
            if len(entries) < self._batch:
                return seen

    def accept(self, envelope: Envelope) -> None:
        bot, seq = envelope.event.bot_id, envelope.event.seq
        cursor = self._by_bot.get(bot)
        if cursor is None:
            cursor = self._by_bot[bot] = Cursor(seq=None, offset=envelope.offset)
        elif cursor.seq is not None and seq <= cursor.seq:
            self._stats.duplicates += 1
            return
        elif cursor.seq is not None and seq > cursor.seq + 1:
            self.resync(bot, f"events {cursor.seq + 1}..{seq - 1} are no longer in the stream")
        cursor.seq, cursor.offset = seq, envelope.offset
        self._stats.delivered += 1
        self.ready.append(envelope)

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
