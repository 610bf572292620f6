"""`RedisBus`: the one object a service holds to publish, subscribe, read state and send commands.

async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
    await bus.publish(TradeExecuted(...))
    async with bus.subscribe(bots=["alpha"]) as events:
        async for item in events: ...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Mapping
from contextlib import aclosing, asynccontextmanager
from uuid import UUID

from redis.exceptions import ResponseError

from tradewire_bus.commands import CommandInbox, send_command
from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.lru import MISSING, Lru
from tradewire_bus.publisher import RedisPublisher
from tradewire_bus.reads import StreamEntry, bot_ids, find_in_stream, raise_if_cancelling, read_stream, stream_entries
from tradewire_bus.redis_clients import RedisClients, open_clients
from tradewire_bus.redis_errors import CONNECTION_ERRORS, unavailable_as_bus_error
from tradewire_bus.snapshot import BotSnapshot
from tradewire_bus.stats import BusStats
from tradewire_bus.subscription import FROM_START, Resync, Subscription
from tradewire_schemas import (
    CandleClosed,
    Command,
    CommandResult,
    Envelope,
    Event,
    MessageRejected,
    decode_event,
    is_stream_offset,
)

log = logging.getLogger("tradewire.bus")


class RedisBus:
    def __init__(self, clients: RedisClients, config: BusConfig) -> None:
        self.clients = clients
        self.redis = clients.redis
        self.config = config
        self.topics = clients.topics
        self.stats = BusStats()
        # History entries decoded once however many resuming clients read them (tradewire_bus.lru).
        self.decoded: Lru[tuple[bytes, str, str], Envelope] = Lru(config.decoded_cache)
        # History reads take at most half the pool, queueing here without a deadline: when hundreds of
        # clients resume at once, the pool's own wait (which fails after a timeout) stays free for
        # publishes, commands and snapshots.
        self._history_slots = asyncio.Semaphore(max(1, config.max_connections // 2))
        self.publisher = RedisPublisher(clients, config)

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, config: BusConfig | None = None) -> AsyncIterator[RedisBus]:
        """One Redis or any node of a Redis Cluster (`BusConfig.topology`; tradewire_bus.redis_clients)."""
        config = config or BusConfig()
        async with open_clients(url, config) as clients:
            yield cls(clients, config)

    @property
    def sharded(self) -> bool:
        """On a Redis Cluster: bots' channels are shard channels (docs/bus.md, "On Redis Cluster")."""
        return self.topics.sharded

    async def publish(self, event: Event) -> Envelope:
        return await self.publisher.publish(event)

    def subscribe(self, bots: Collection[str] | None = None, after: Mapping[str, str] | None = None) -> Subscription:
        """Events of the given bots (None: every bot), each resuming after its offset in `after`.

        Use `FROM_START` as an offset to read a bot's whole retained history first.
        """
        if bots is not None and after is not None and not set(after) <= set(bots):
            raise ValueError(f"offsets given for bots not subscribed to: {sorted(set(after) - set(bots))}")
        return Subscription(
            self.clients,
            self.config,
            self.stats,
            bots=bots,
            after=after,
        )

    def commands(self, bot_id: str) -> CommandInbox:
        """The trader's inbox of fresh, first-seen commands; refusals are answered through this bus's publisher."""
        return CommandInbox(self.clients, self.config, self.stats, bot_id, self.publisher)

    async def send_command(self, command: Command, timeout: float | None = None) -> CommandResult:
        try:
            return await send_command(self.clients, self.config, command, timeout)
        except CONNECTION_ERRORS as error:
            raise BusUnavailable(f"cannot send {command.type} to {command.bot_id}: {error}") from error

    @unavailable_as_bus_error("read a bot's snapshot")
    async def snapshot(self, bot_id: str) -> BotSnapshot:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self.topics.epoch(bot_id))
            pipe.hgetall(self.topics.bot_state(bot_id))
            epoch, fields = await pipe.execute(raise_on_error=False)
        raise_if_cancelling()
        # A key of the wrong type (set by hand) answers WRONGTYPE: that bot shows as empty, and every
        # other bot, socket and request goes on.
        for name, value in (("epoch", epoch), ("state", fields)):
            if isinstance(value, Exception):
                if not isinstance(value, ResponseError):
                    raise value
                self.stats.garbage += 1
                log.warning("cannot read the %s of %s: %s", name, bot_id, value)
        return BotSnapshot.from_redis(
            bot_id,
            epoch if isinstance(epoch, bytes) else None,
            fields if isinstance(fields, dict) else {},
        )

    @unavailable_as_bus_error("read the bots")
    async def bots(self) -> list[str]:
        return sorted(await bot_ids(self.redis, self.topics.bots()))

    async def history(self, bot_id: str, after: str = FROM_START, limit: int = 100) -> list[Envelope]:
        """Up to `limit` events of one bot after `after`, oldest first, as stored in its stream."""
        envelopes, _, _ = await self._history_page(bot_id, after, limit)
        return envelopes

    @unavailable_as_bus_error("read a bot's history")
    async def history_before(self, bot_id: str, before: str | None = None, limit: int = 100) -> list[Envelope]:
        """Up to `limit` events of one bot before `before` (None: the newest), newest first."""
        newest = "+" if before is None else f"({before}"
        async with self._history_slots, self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self.topics.epoch(bot_id))
            pipe.xrevrange(self.topics.bot_stream(bot_id), max=newest, min="-", count=limit)
            epoch, entries = await pipe.execute()
        raise_if_cancelling()
        return self._decoded(bot_id, epoch or b"", stream_entries(entries))

    @unavailable_as_bus_error("read a bot's candles")
    async def candles(self, bot_id: str, limit: int = 500) -> list[CandleClosed]:
        """The bot's last `limit` candles (at most `BusConfig.candle_history`), oldest first, for a chart."""
        async with self._history_slots:
            entries = stream_entries(await self.redis.xrevrange(self.topics.bot_candles(bot_id), count=limit))
        raise_if_cancelling()
        events = (self._event(bot_id, offset, fields, "candle entry") for offset, fields in reversed(entries))
        return [event for event in events if isinstance(event, CandleClosed) and event.bot_id == bot_id]

    @unavailable_as_bus_error("read a bot's stream")
    async def has_offset(self, bot_id: str, offset: str) -> bool:
        """Whether the bot's stream still holds the entry at `offset` (else resuming after it would miss events)."""
        return bool(await read_stream(self.redis, self.topics.bot_stream(bot_id), offset, offset, 1))

    @unavailable_as_bus_error("look for a published event")
    async def find_published(self, bot_id: str, event_id: UUID, depth: int = 1000) -> Envelope | None:
        """The event with this id as the bus stored it (its seq and offset), if it is among the bot's
        latest `depth` stream entries: did a publish whose answer was lost land?"""
        found = await find_in_stream(self.redis, self.topics.bot_stream(bot_id), event_id, depth)
        if found is None:
            return None
        epoch = await self.redis.get(self.topics.epoch(bot_id))
        offset, event = found
        return Envelope(epoch=epoch.decode() if isinstance(epoch, bytes) else epoch or "", offset=offset, event=event)

    async def resume_points(self, cursors: Mapping[str, tuple[str, str]]) -> dict[str, str]:
        """Each bot on the bus -> the offset after which a durable reader (recorder, notifier) reads on,
        from the (epoch, offset) cursors it stored: FROM_START where it has none, where Redis lost its data
        since (another epoch), or where the stored offset is not one (a forged "garbage" once was)."""
        after = {}
        for bot in await self.bots():
            epoch = (await self.snapshot(bot)).epoch
            stored = cursors.get(bot)
            usable = stored is not None and stored[0] == epoch and is_stream_offset(stored[1])
            after[bot] = stored[1] if usable and stored is not None else FROM_START
        return after

    async def replay(self, bot_id: str, after: str = FROM_START) -> AsyncGenerator[Envelope | Resync, None]:
        """Every retained event after `after`, read in pages; a `Resync` first if that offset is gone."""
        async with aclosing(self.replay_pages(bot_id, after)) as pages:
            async for page in pages:
                if isinstance(page, Resync):
                    yield page
                else:
                    for envelope in page:
                        yield envelope

    async def replay_pages(self, bot_id: str, after: str = FROM_START) -> AsyncGenerator[list[Envelope] | Resync, None]:
        """`replay`, a page (`backfill_batch` entries) at a time; read only as fast as they are taken."""
        if after != FROM_START and not await self.has_offset(bot_id, after):
            yield Resync(bot_id, f"offset {after} is no longer in the stream; reload the snapshot")
            after = FROM_START
        while True:
            envelopes, last_read, count = await self._history_page(bot_id, after, self.config.backfill_batch)
            yield envelopes
            if count < self.config.backfill_batch:
                return
            after = last_read

    @unavailable_as_bus_error("read a bot's history")
    async def _history_page(self, bot_id: str, after: str, limit: int) -> tuple[list[Envelope], str, int]:
        async with self._history_slots, self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self.topics.epoch(bot_id))
            pipe.xrange(self.topics.bot_stream(bot_id), min=f"({after}", max="+", count=limit)
            epoch, entries = await pipe.execute()
        raise_if_cancelling()
        read = stream_entries(entries)
        return self._decoded(bot_id, epoch or b"", read), read[-1][0] if read else after, len(read)

    def _decoded(self, bot_id: str, epoch: bytes, read: list[StreamEntry]) -> list[Envelope]:
        """The entries as envelopes, decoded once for every reader (`self.decoded`); garbage skipped."""
        result = []
        for offset, fields in read:
            key = (epoch, bot_id, offset)
            envelope = self.decoded.get(key)
            if envelope is MISSING:
                if (event := self._event(bot_id, offset, fields, "stream entry")) is None:
                    continue
                envelope = Envelope(epoch=epoch.decode(), offset=offset, event=event)
                self.decoded.put(key, envelope)
            result.append(envelope)
        return result

    def _event(self, bot_id: str, offset: str, fields: dict[bytes, bytes], what: str) -> Event | None:
        """The entry's event, or None for garbage (counted and logged, then skipped)."""
        try:
            return decode_event(fields[b"event"])
        except (MessageRejected, KeyError) as error:
            self.stats.garbage += 1
            log.warning("skipped %s %s of %s: %s", what, offset, bot_id, error)
            return None

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except CONNECTION_ERRORS:
            return False
