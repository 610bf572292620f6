"""Gap-free subscription: live pub/sub for speed, the per-bot stream for completeness.

Per bot we remember the last delivered `seq` and stream offset (the cursor). A live message is only a
doorbell: anyone who may PUBLISH can put a well-formed envelope on a channel (one with `seq` 1e9 once
made every reader drop a bot's real events as duplicates), so what we deliver is what we read from
the stream after the cursor, and a live envelope the stream does not confirm is counted as forged and
skipped. One we already delivered is dropped without a read. After a reconnect we read everything
after each cursor before going live again. If Redis lost its data (its epoch token changed) or the stream no
longer holds what we need (trimmed), the caller gets a `Resync` instead of a silent hole.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.listener import Listener
from tradewire_bus.publisher import new_epoch_candidate
from tradewire_bus.reads import bot_ids, raise_if_cancelling, read_stream
from tradewire_bus.redis_clients import RedisClients
from tradewire_bus.redis_errors import CONNECTION_ERRORS, UNAVAILABLE_OR_REFUSING
from tradewire_bus.stats import BusStats
from tradewire_bus.topics import Topics
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, Event, MessageRejected, decode_envelope, decode_event, is_bot_id

log = logging.getLogger("tradewire.bus.subscription")

FROM_START = "0-0"
_SUBSCRIBE_CONFIRM_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Resync:
    """History was lost: reload the snapshot. `bot_id` None means every bot (Redis lost its data)."""

    bot_id: str | None
    reason: str


@dataclass
class _Cursor:
    seq: int | None  # None: accept the next event as the baseline
    offset: str  # read the stream after this entry id
    verify: bool = False  # offset came from the caller: check it still exists before trusting it


async def current_epoch(redis: Redis | RedisCluster, topics: Topics, bot_id: str | None = None) -> str:
    """The data epoch (of the bot, on a cluster), creating it if Redis has none (fresh, or it lost its data)."""
    await redis.set(topics.epoch(bot_id), new_epoch_candidate(), nx=True)
    value = await redis.get(topics.epoch(bot_id))
    raise_if_cancelling()  # redis-py can swallow a cancel (tradewire_bus.reads)
    return value.decode() if isinstance(value, bytes) else str(value)


class Subscription:
    """`async with bus.subscribe(...) as events: async for item in events:` yields Envelope or Resync."""

    def __init__(
        self,
        clients: RedisClients,
        config: BusConfig,
        stats: BusStats,
        *,
        bots: Collection[str] | None = None,
        after: Mapping[str, str] | None = None,
    ) -> None:
        self._clients = clients
        self._redis = clients.redis
        self._config = config
        self._topics = clients.topics
        self._stats = stats
        self._bots = None if bots is None else frozenset(bots)
        self._cursors: dict[str, _Cursor] = {
            bot: _Cursor(seq=None, offset=offset, verify=offset != FROM_START) for bot, offset in (after or {}).items()
        }
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._ready: deque[Envelope | Resync] = deque()
        self._pubsub: Listener | None = None
        # The data epoch per scope: "" for the whole Redis, or each bot on a cluster (Topics.epoch).
        self._epochs: dict[str, str] = {}
        self._joining: dict[str, str] = {}  # cluster, every bot: channels of bots announced on the fleet channel
        self._joined_at: str | None = None  # stream id just before we first subscribed
        self._closed = False

    @property
    def epoch(self) -> str | None:
        """The epoch of one Redis (on a cluster each bot has its own: see the envelopes)."""
        return self._epochs.get("")

    def _scope(self, bot: str) -> str:
        return bot if self._topics.sharded else ""

    def offsets(self) -> dict[str, str]:
        """Where to resume each bot from, e.g. after a restart of the caller."""
        return {bot: cursor.offset for bot, cursor in self._cursors.items()}

    async def __aenter__(self) -> Self:
        await self._connect_with_backoff()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._closed = True
        await self._drop_connection()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Envelope | Resync:
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._closed:
                raise StopAsyncIteration
            if self._pubsub is None:
                await self._connect_with_backoff()
                continue
            try:
                message = await self._pubsub.next_message()
                if message is None:
                    continue
                if message["type"] in ("message", "pmessage"):
                    if self._topics.sharded and message["channel"] == self._fleet:
                        await self._on_fleet(message["data"])
                    else:
                        await self._on_live(message)
                elif message["type"] == "subscribe" and self._joining:
                    await self._on_joined(message["channel"])
            except CONNECTION_ERRORS as error:
                log.warning("bus subscription lost its connection (%s); reconnecting", error)
                await self._drop_connection()

    # -- connecting -------------------------------------------------------------------------------

    async def _connect_with_backoff(self) -> None:
        while not self._closed:
            try:
                await self._connect()
                self._backoff.reset()
                return
            except UNAVAILABLE_OR_REFUSING as error:
                self._stats.connect_failures += 1
                await self._drop_connection()
                delay = self._backoff.delay()
                log.warning("bus unreachable or refusing (%s); retrying in %.2fs", error, delay)
                await asyncio.sleep(delay)

    async def _connect(self) -> None:
        reconnecting = self._joined_at is not None
        if reconnecting:
            await self._clients.refresh()  # on a cluster: a replica may own the bot's slot now
        pubsub = self._clients.listener()
        self._pubsub = pubsub
        self._joining.clear()
        if self._bots is None and not self._topics.sharded:
            await pubsub.psubscribe(self._topics.all_bot_events())
            expected = 1
        else:
            # On a cluster, sharded pub/sub has no patterns: "every bot" is each known bot's channel on
            # its shard, plus the broadcast fleet channel that names new bots (docs/bus.md).
            bots = self._bots if self._bots is not None else await bot_ids(self._redis, self._topics.bots())
            expected = len(bots)
            if self._bots is None:
                await pubsub.broadcast_subscribe(self._topics.fleet())
                expected += 1
            if bots:
                await pubsub.subscribe(*(self._topics.bot_events(bot) for bot in sorted(bots)))
        # Only once Redis confirms the subscription is every later publish sure to reach us; reading
        # the stream before that could miss an event published in between.
        async with asyncio.timeout(_SUBSCRIBE_CONFIRM_TIMEOUT_S):
            confirmed = 0
            while confirmed < expected:
                message = await pubsub.next_message()
                if message is not None and message["type"] in ("subscribe", "psubscribe"):
                    confirmed += 1

        if self._topics.sharded:
            await self._check_bot_epochs(reconnecting)
        else:
            await self._check_epoch()
        if self._joined_at is None:
            seconds, micros = await self._redis.time()
            raise_if_cancelling()
            self._joined_at = f"{seconds * 1000 + micros // 1000 - 1}-0"
        if reconnecting:
            self._stats.reconnects += 1
            # Bots we never heard from may have published while we were away.
            known = self._bots if self._bots is not None else await bot_ids(self._redis, self._topics.bots())
            for bot in known:
                self._cursors.setdefault(bot, _Cursor(seq=None, offset=self._joined_at))
        for bot, cursor in list(self._cursors.items()):
            await self._ensure_epoch(bot)
            await self._backfill(bot, cursor, until="+")

    @property
    def _fleet(self) -> bytes:
        return self._topics.fleet().encode()

    async def _check_epoch(self) -> None:
        """One Redis: if its epoch changed, it lost its data: every bot starts over."""
        epoch = await current_epoch(self._redis, self._topics)
        known = self._epochs.get("")
        if known is not None and epoch != known:
            self._resync(None, "Redis lost its data (its epoch changed); reload the snapshot")
            for cursor in self._cursors.values():
                cursor.seq, cursor.offset, cursor.verify = None, FROM_START, False
            self._joined_at = FROM_START
        self._epochs[""] = epoch

    async def _check_bot_epochs(self, reconnecting: bool) -> None:
        """Cluster: each bot's epoch; a bot whose shard lost its data starts over, alone."""
        if not reconnecting:
            return
        for bot, known in list(self._epochs.items()):
            epoch = await current_epoch(self._redis, self._topics, bot)
            if epoch != known:
                self._resync(bot, f"the shard of {bot!r} lost its data (its epoch changed); reload the snapshot")
                cursor = self._cursors.get(bot)
                if cursor is not None:
                    cursor.seq, cursor.offset, cursor.verify = None, FROM_START, False
            self._epochs[bot] = epoch

    async def _ensure_epoch(self, bot: str) -> str:
        scope = self._scope(bot)
        epoch = self._epochs.get(scope)
        if epoch is None:
            epoch = self._epochs[scope] = await current_epoch(self._redis, self._topics, scope or None)
        return epoch

    async def _on_fleet(self, raw: object) -> None:
        """Cluster, every bot: a publisher named a bot; subscribe on its shard if it is new to us."""
        bot = bytes(raw).decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        if not is_bot_id(bot):
            self._garbage(raw, "not a bot id on the fleet channel")
            return
        channel = self._topics.bot_events(bot)
        if bot in self._cursors or channel in self._joining.values() or self._pubsub is None:
            return
        self._joining[channel] = bot
        await self._pubsub.subscribe(channel)

    async def _on_joined(self, raw_channel: object) -> None:
        """The new bot's channel is confirmed: from now on we hear it live, so read what came before."""
        channel = bytes(raw_channel).decode(errors="replace") if isinstance(raw_channel, bytes) else str(raw_channel)
        bot = self._joining.pop(channel, None)
        if bot is None:
            return
        cursor = self._cursors.setdefault(bot, _Cursor(seq=None, offset=self._joined_at or FROM_START))
        await self._ensure_epoch(bot)
        await self._backfill(bot, cursor, until="+")

    async def _drop_connection(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:  # the connection is already broken; nothing to tidy
                log.debug("closing a broken pubsub connection failed", exc_info=True)

    # -- delivering -------------------------------------------------------------------------------

    async def _on_live(self, message: dict[str, Any]) -> None:
        try:
            envelope = decode_envelope(message["data"])
        except ValueError as error:
            self._garbage(message["data"], str(error))
            return
        channel = bytes(message["channel"]).decode(errors="replace")
        bot = envelope.event.bot_id
        if self._topics.bot_id_from_channel(channel) != bot:
            self._garbage(message["data"], f"event for bot {bot!r} on channel {channel!r}")
            return
        known = await self._ensure_epoch(bot)
        if envelope.epoch != known:
            current = await self._redis.get(self._topics.epoch(self._scope(bot) or None))
            if (current.decode() if isinstance(current, bytes) else current) == known:
                self._forged(envelope, "its epoch is not Redis's")
                return
            # Redis was reset under us without the connection dropping: start over cleanly.
            await self._drop_connection()
            return
        cursor = self._cursors.get(bot)
        if cursor is not None and cursor.seq is not None and envelope.event.seq <= cursor.seq:
            self._stats.duplicates += 1  # already read from the stream (or a stale forgery: harmless)
            return
        if cursor is None:
            seen = await self._baseline(bot, envelope.offset)
        else:
            seen = await self._backfill(bot, cursor, until="+", look_for=envelope.offset)
        if seen != envelope.event:
            self._forged(envelope, "the stream holds no such event at its offset")

    async def _baseline(self, bot: str, offset: str) -> Event | None:
        """A bot we have no cursor for: start at the stream entry the live envelope names, if it exists."""
        try:
            found = await read_stream(self._redis, self._topics.bot_stream(bot), offset, offset, 1)
            event = decode_event(found[0][1][b"event"]) if found else None
        except (ResponseError, MessageRejected, KeyError) as error:
            self._garbage(bot, f"cannot read the stream of {bot!r} at {offset}: {error}")
            return None
        if event is not None:
            self._accept(Envelope(epoch=await self._ensure_epoch(bot), offset=offset, event=event))
        return event

    async def _backfill(self, bot: str, cursor: _Cursor, *, until: str, look_for: str | None = None) -> Event | None:
        """Read the stream after the cursor; returns the event found at `look_for`, if any."""
        try:
            return await self._read_after(bot, cursor, until, look_for)
        except ResponseError as error:
            # The stream key was overwritten by hand with another type, or similar: skip, don't die.
            self._garbage(bot, f"cannot read the stream of {bot!r}: {error}")
            self._resync(bot, f"the stream of {bot!r} cannot be read: {error}")
            return None

    async def _read_after(self, bot: str, cursor: _Cursor, until: str, look_for: str | None) -> Event | None:
        stream = self._topics.bot_stream(bot)
        epoch = await self._ensure_epoch(bot)
        seen = None
        if cursor.verify:
            cursor.verify = False
            found = await read_stream(self._redis, stream, cursor.offset, cursor.offset, 1)
            if found:
                cursor.seq = decode_event(found[0][1][b"event"]).seq
            else:
                self._resync(bot, f"offset {cursor.offset} is no longer in the stream; reload the snapshot")
                cursor.offset = FROM_START
        while True:
            entries = await read_stream(self._redis, stream, f"({cursor.offset}", until, self._config.backfill_batch)
            for offset, fields in entries:
                try:
                    event = decode_event(fields[b"event"])
                except (MessageRejected, KeyError) as error:
                    self._garbage(fields, f"stream entry {offset}: {error}")
                    cursor.offset = offset
                    continue
                if offset == look_for:
                    seen = event
                self._stats.backfilled += 1
                self._accept(Envelope(epoch=epoch, offset=offset, event=event))
            if len(entries) < self._config.backfill_batch:
                return seen

    def _accept(self, envelope: Envelope) -> None:
        bot, seq = envelope.event.bot_id, envelope.event.seq
        cursor = self._cursors.get(bot)
        if cursor is None:
            cursor = self._cursors[bot] = _Cursor(seq=None, offset=envelope.offset)
        elif cursor.seq is not None and seq <= cursor.seq:
            self._stats.duplicates += 1
            return
        elif cursor.seq is not None and seq > cursor.seq + 1:
            self._resync(bot, f"events {cursor.seq + 1}..{seq - 1} are no longer in the stream")
        cursor.seq, cursor.offset = seq, envelope.offset
        self._stats.delivered += 1
        self._ready.append(envelope)

    def _resync(self, bot: str | None, reason: str) -> None:
        log.warning("resync needed for %s: %s", bot or "every bot", reason)
        self._stats.resyncs += 1
        self._ready.append(Resync(bot_id=bot, reason=reason))

    def _forged(self, envelope: Envelope, reason: str) -> None:
        self._stats.forged += 1
        log.warning(
            "skipped a forged live envelope for %s (seq %d, offset %s): %s",
            envelope.event.bot_id,
            envelope.event.seq,
            envelope.offset,
            reason,
        )

    def _garbage(self, raw: object, reason: str) -> None:
        self._stats.garbage += 1
        log.warning("skipped garbage on the bus (%s): %.200r", reason, raw)


__all__ = ["FROM_START", "BusUnavailable", "Resync", "Subscription", "current_epoch"]
