"""Gap-free subscription: live pub/sub for speed, the per-bot stream for completeness.

Per bot we remember the last delivered `seq` and stream offset (the cursor, `tradewire_bus.cursors`). A
live message is only a doorbell: anyone who may PUBLISH can put a well-formed envelope on a channel (one
with `seq` 1e9 once made every reader drop a bot's real events as duplicates), so what we deliver is
what we read from the stream after the cursor, and a live envelope the stream does not confirm is
skipped: counted as forged, or as stale when it proves to be an event a failover lost
(tradewire_bus.suspects). One we already delivered is dropped without a read. After a reconnect we
read everything after each cursor before going live again. If Redis lost its data (its epoch token
changed) or the stream no longer holds what we need (trimmed), the caller gets a `Resync` instead of a
silent hole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from types import TracebackType
from typing import Any, Self

from redis.asyncio import Redis, RedisCluster

from tradewire_bus.config import BusConfig
from tradewire_bus.cursors import FROM_START, Cursors, Resync
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.listener import Listener
from tradewire_bus.publisher import new_epoch_candidate
from tradewire_bus.reads import bot_ids, raise_if_cancelling
from tradewire_bus.redis_clients import RedisClients
from tradewire_bus.redis_errors import CONNECTION_ERRORS, UNAVAILABLE_OR_REFUSING
from tradewire_bus.stats import BusStats
from tradewire_bus.topics import Topics
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, decode_envelope, is_bot_id

log = logging.getLogger("tradewire.bus.subscription")

_SUBSCRIBE_CONFIRM_TIMEOUT_S = 5.0


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
        self._topics = clients.topics
        self._stats = stats
        self._bots = None if bots is None else frozenset(bots)
        self._cursors = Cursors(self._redis, self._topics, config, stats, after)
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._pubsub: Listener | None = None
        # The data epoch per scope: "" for the whole Redis, or each bot on a cluster (Topics.epoch).
        self._epochs: dict[str, str] = {}
        self._lost_epochs: set[str] = set()  # epochs we knew that a shard lost: their envelopes are stale
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
        return self._cursors.offsets()

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
            if self._cursors.ready:
                return self._cursors.ready.popleft()
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
        announced: list[object] = []  # fleet messages heard while subscribing: handled once connected
        if self._bots is None and not self._topics.sharded:
            await pubsub.psubscribe(self._topics.all_bot_events())
            await self._confirmed(pubsub, 1, announced)
        else:
            # On a cluster, sharded pub/sub has no patterns: "every bot" is each known bot's channel on
            # its shard, plus the broadcast fleet channel that names new bots (docs/bus.md). The fleet
            # channel first: a bot announced after it is confirmed is heard there, one announced before
            # is already in the bots set (a publisher adds it before announcing).
            if self._bots is None:
                await pubsub.broadcast_subscribe(self._topics.fleet())
                await self._confirmed(pubsub, 1, announced)
            bots = self._bots if self._bots is not None else await bot_ids(self._redis, self._topics.bots())
            if bots:
                await pubsub.subscribe(*(self._topics.bot_events(bot) for bot in sorted(bots)))
                await self._confirmed(pubsub, len(bots), announced)

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
                self._cursors.start(bot, self._joined_at)
        for bot, _ in self._cursors.items():
            await self._cursors.backfill(bot, await self._ensure_epoch(bot))
        for raw in announced:
            await self._on_fleet(raw)

    async def _confirmed(self, pubsub: Listener, expected: int, announced: list[object]) -> None:
        """Wait until Redis confirms `expected` subscriptions: only then is every later publish sure to
        reach us, so reading a stream before could miss an event published in between. Live events
        heard meanwhile are read from the streams later; bots announced meanwhile are kept."""
        async with asyncio.timeout(_SUBSCRIBE_CONFIRM_TIMEOUT_S):
            confirmed = 0
            while confirmed < expected:
                message = await pubsub.next_message()
                if message is None:
                    continue
                if message["type"] in ("subscribe", "psubscribe"):
                    confirmed += 1
                elif self._topics.sharded and message["type"] == "message" and message["channel"] == self._fleet:
                    announced.append(message["data"])

    @property
    def _fleet(self) -> bytes:
        return self._topics.fleet().encode()

    async def _check_epoch(self) -> None:
        """One Redis: if its epoch changed, it lost its data: every bot starts over."""
        epoch = await current_epoch(self._redis, self._topics)
        known = self._epochs.get("")
        if known is not None and epoch != known:
            self._lost_epochs.add(known)
            self._cursors.resync(None, "Redis lost its data (its epoch changed); reload the snapshot")
            self._cursors.start_over()
            self._joined_at = FROM_START
        self._epochs[""] = epoch

    async def _check_bot_epochs(self, reconnecting: bool) -> None:
        """Cluster: each bot's epoch; a bot whose shard lost its data starts over, alone."""
        if not reconnecting:
            return
        for bot, known in list(self._epochs.items()):
            epoch = await current_epoch(self._redis, self._topics, bot)
            if epoch != known:
                self._lost_epochs.add(known)
                # The publisher publishes its kept events again in the new epoch: if they prove to be
                # what we delivered, nothing is lost and nothing delivered twice (Cursors.carry_over).
                if not self._cursors.carry_over(bot):
                    reason = f"the shard of {bot!r} lost its data (its epoch changed); reload the snapshot"
                    self._cursors.resync(bot, reason)
                    self._cursors.start_over(bot)
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
            self._cursors.garbage(raw, "not a bot id on the fleet channel")
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
        self._cursors.start(bot, self._joined_at or FROM_START)
        await self._cursors.backfill(bot, await self._ensure_epoch(bot))

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
            self._cursors.garbage(message["data"], str(error))
            return
        channel = bytes(message["channel"]).decode(errors="replace")
        bot = envelope.event.bot_id
        if self._topics.bot_id_from_channel(channel) != bot:
            self._cursors.garbage(message["data"], f"event for bot {bot!r} on channel {channel!r}")
            return
        known = await self._ensure_epoch(bot)
        if envelope.epoch != known:
            current = await self._redis.get(self._topics.epoch(self._scope(bot) or None))
            if (current.decode() if isinstance(current, bytes) else current) == known:
                if envelope.epoch in self._lost_epochs or self._cursors.delivered_nothing(bot):
                    # An epoch the shard lost (or, nothing of the bot delivered yet, one we never knew):
                    # an event of the lost history, published again in `known`.
                    self._stats.stale += 1
                else:
                    self._cursors.forged(envelope, "its epoch is not Redis's")
                return
            # Redis was reset under us without the connection dropping: start over cleanly.
            await self._drop_connection()
            return
        cursor = self._cursors.get(bot)
        if cursor is not None and cursor.seq is not None and envelope.event.seq <= cursor.seq:
            self._stats.duplicates += 1  # already read from the stream (or a stale forgery: harmless)
            return
        await self._cursors.ring(envelope, known)


__all__ = ["FROM_START", "BusUnavailable", "Resync", "Subscription", "current_epoch"]
