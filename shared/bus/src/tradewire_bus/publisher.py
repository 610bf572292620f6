"""Publishing events: the trader's one outbound port, with a Redis and an in-memory implementation.

The Redis publish is one Lua script, so these happen atomically or not at all: assign the bot's next
`seq`, append the event to the bot's stream (bounded), update the bot's latest-state hash, append a
candle to the bot's capped candle stream (charts read the recent past there) and PUBLISH the envelope
(epoch, stream offset, event) for live fan-out.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.reads import find_in_stream
from tradewire_bus.recent_events import Published, RecentEvents
from tradewire_bus.redis_clients import RedisClients
from tradewire_bus.redis_errors import CONNECTION_ERRORS, UNAVAILABLE_OR_REFUSING
from tradewire_bus.script_runner import ClusterScriptRunner, ReplyLost, ScriptRunner
from tradewire_schemas import CandleClosed, CommandResult, Envelope, Event

log = logging.getLogger("tradewire.bus.publisher")

PUBLISH_SCRIPT = """
local epoch = redis.call('GET', KEYS[5])
if not epoch then
  epoch = ARGV[6]
  redis.call('SET', KEYS[5], epoch)
end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local exact = tonumber(ARGV[12] or '0')
local seq
if exact > 0 then
  if current >= exact then
    return {-1, current, epoch}
  end
  if current < exact - 1 then
    return {0, current, epoch}
  end
  seq = exact
else
  local floor = tonumber(ARGV[5])
  if current < floor and ARGV[13] == 'strict' then
    return {0, current, epoch}
  end
  seq = math.max(current, floor) + 1
end
redis.call('SET', KEYS[1], string.format('%d', seq))
local body = ARGV[1] .. string.format('%d', seq) .. ARGV[2]
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'event', body)
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], body, 'offset', id, 'seq', seq)
else
  redis.call('HSET', KEYS[3], 'offset', id, 'seq', seq)
end
if ARGV[15] ~= '0' then
  redis.call('SADD', KEYS[4], ARGV[8])
end
if ARGV[10] == 'candle' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[11], '*', 'event', body)
elseif KEYS[6] then
  redis.call('SET', KEYS[6], body, 'EX', ARGV[9])
end
redis.call(ARGV[14] or 'PUBLISH', ARGV[7], '{"epoch":"' .. epoch .. '","offset":"' .. id .. '","event":' .. body .. '}')
return {seq, id, epoch}
"""
# KEYS: seq, stream, state, the bots set (one Redis) or the live channel (cluster: declared, so the
# script's slot covers it), epoch, and a command's kept result or the candle stream.
# ARGV: 1-2 the event JSON around its seq, 3 state field, 4 stream length, 5 the publisher's floor,
# 6 an epoch candidate, 7 channel, 8 bot id, 9 result memory, 10-11 candle flag and length,
# 12 an exact seq to publish again (0: the next), 13 'strict' (refuse when Redis is behind the floor:
# it lost events, maybe the epoch key too) or 'force', 14 PUBLISH or SPUBLISH, 15 '0' not to add the
# bot to the set. 12-15 may be left out (a caller of the older layout): the next seq, force, PUBLISH, add.
# Replies {seq, offset, epoch}; {0, redis_seq, epoch} when Redis is behind; {-1, ...} when an exact
# seq is already there.

# On a cluster the script declares a shebang: Redis 7 then refuses any key or channel outside the
# script's slot, even one the same node happens to own (tests/test_redis_cluster_facts.py).
CLUSTER_PUBLISH_SCRIPT = "#!lua" + PUBLISH_SCRIPT


def new_epoch_candidate() -> str:
    """Becomes the epoch only if Redis has none. Fresh every time: a Redis that lost its data must get
    an epoch it never had, or subscribers could not tell."""
    return os.urandom(16).hex()


class Publisher(Protocol):
    """What the trader needs from the bus: publish a fact, get it back with its seq and offset."""

    async def publish(self, event: Event) -> Envelope: ...

    def continue_after(self, bot_id: str, seq: int) -> None:
        """Never assign a `seq` at or below this one for the bot (a restarted trader remembers more)."""


def split_for_seq(event: Event) -> tuple[str, str]:
    """The event's JSON cut in two around the place where the script writes `"seq":N`.

    `type` is always the first field, so the cut goes right after it and the wire JSON reads
    `{"type":...,"seq":N,...}` without Redis having to parse JSON.
    """
    body = event.model_dump_json(exclude={"seq"})
    cut = body.index(",")
    return body[:cut] + ',"seq":', body[cut:]


# How far back a publish whose answer was lost looks for itself: far more than can be published by others
# between the lost answer and the look, on any one bot.
LOOKBACK = 200


class RedisPublisher:
    def __init__(self, clients: RedisClients, config: BusConfig) -> None:
        self._redis = clients.redis
        self._clients = clients
        self._config = config
        self._topics = clients.topics
        self._sharded = clients.topics.sharded
        cluster = clients.cluster
        self._run_script: ScriptRunner | ClusterScriptRunner
        if cluster is not None:
            self._run_script = ClusterScriptRunner(cluster, CLUSTER_PUBLISH_SCRIPT, config.max_connections)
        else:
            assert isinstance(self._redis, Redis)
            self._run_script = ScriptRunner(self._redis, PUBLISH_SCRIPT)
        self._floors: dict[str, int] = {}
        self._epochs: dict[str, bytes] = {}  # the epoch of each bot's last publish, to tell loss from reset
        self._recent = RecentEvents(config.republish_window)
        self._names: dict[str, tuple[list[bytes], bytes, bytes]] = {}
        self._announced: set[str] = set()
        self._announcing = asyncio.Lock()
        self._maxlen = b"%d" % config.stream_maxlen
        self._memory = b"%d" % config.command_memory_s
        self._candles = b"%d" % config.candle_history
        self._tail_flags = [b"SPUBLISH", b"0"] if self._sharded else [b"PUBLISH", b"1"]
        self.republished = 0  # events published again after Redis lost them (a failover)

    def continue_after(self, bot_id: str, seq: int) -> None:
        """Never assign a `seq` at or below this one for the bot, even if Redis lost its counter."""
        self._floors[bot_id] = max(seq, self._floors.get(bot_id, 0))

    def _names_for(self, bot_id: str) -> tuple[list[bytes], bytes, bytes]:
        """The bot's keys, channel and id as bytes, built once per bot."""
        names = self._names.get(bot_id)
        if names is None:
            topics = self._topics
            channel = topics.bot_events(bot_id)
            keys = [
                topics.bot_seq(bot_id),
                topics.bot_stream(bot_id),
                topics.bot_state(bot_id),
                channel if self._sharded else topics.bots(),
                topics.epoch(bot_id),
            ]
            names = self._names[bot_id] = ([key.encode() for key in keys], channel.encode(), bot_id.encode())
        return names

    async def publish(self, event: Event) -> Envelope:
        bot_id = event.bot_id
        head, tail = split_for_seq(event)
        keys, channel, bot = self._names_for(bot_id)
        extra: list[bytes] = [b"", b""]
        if isinstance(event, CommandResult) and event.outcome != "accepted":
            # Kept so that a sender retrying the same command id gets this answer instead of a rerun.
            keys = [*keys, self._topics.command_result(event.command_id, bot_id).encode()]
        elif isinstance(event, CandleClosed):
            keys = [*keys, self._topics.bot_candles(bot_id).encode()]
            extra = [b"candle", self._candles]
        args = [
            head.encode(), tail.encode(), (event.state_field or "").encode(), self._maxlen,
            b"%d" % self._floors.get(bot_id, 0), new_epoch_candidate().encode(), channel, bot, self._memory,
            *extra,
        ]  # fmt: skip
        try:
            if self._sharded and bot_id not in self._announced:
                async with self._announcing:  # a burst of first publishes announces the bot once, not each
                    if bot_id not in self._announced:
                        await self._announce(bot_id)
            reply = await self._publish_once(event, keys, args, b"strict")
            if isinstance(reply, Envelope):
                return reply
            if int(reply[0]) == 0:  # Redis is behind this publisher: it lost our latest events
                reply = await self._recover(event, keys, args, int(reply[1]), bytes(reply[2]))
                if isinstance(reply, Envelope):
                    return reply
        except CONNECTION_ERRORS as error:
            raise BusUnavailable(f"cannot publish {event.type} for {bot_id}: {error}") from error
        except ResponseError as error:  # e.g. a key of the bot overwritten by hand with another type
            raise BusUnavailable(f"Redis refused to publish {event.type} for {bot_id}: {error}") from error
        seq, offset, epoch = int(reply[0]), reply[1], reply[2]
        self._floors[bot_id] = seq
        self._epochs[bot_id] = bytes(epoch)
        self._recent.add(bot_id, Published(seq, keys, args))
        return Envelope(epoch=_text(epoch), offset=_text(offset), event=event.model_copy(update={"seq": seq}))

    async def _publish_once(self, event: Event, keys: list[bytes], args: list[bytes], mode: bytes) -> Any:
        call = [*args, b"0", mode, *self._tail_flags]
        try:
            return await self._run_script(keys, call)
        except ReplyLost:
            # The script may have run before the connection died: look before publishing again.
            if (landed := await self._find(event)) is not None:
                return landed
            return await self._run_script(keys, call)

    async def _recover(self, event: Event, keys: list[bytes], args: list[bytes], behind: int, epoch: bytes) -> Any:
        """Redis's seq for the bot is `behind` ours: publish the lost events again from memory, then this
        one. On a cluster that holds when the shard lost the bot's epoch too (a failover to a replica
        that had nothing of the bot yet): they go out in the new epoch, so a reader that never saw the
        old one still gets every event (one that did is told to resync). On one Redis a new epoch means
        Redis lost everything: every reader resyncs, and the old history is not brought back (readers
        would get it twice). If they are not all in memory (a trader restarted), accept the gap: readers
        are told to resync that bot."""
        bot_id = event.bot_id
        if self._sharded:
            # What lost the bot's keys (a failover, a flush, a restart without persistence) may have lost
            # its name in the bots set too, which is announced once: without it again, every-bot readers
            # that start from now on (a restarted recorder, a new gateway) never learn of the bot.
            await self._announce_again(bot_id)
        floor = self._floors.get(bot_id, 0)
        same_epoch = self._epochs.get(bot_id) == epoch
        lost = self._recent.between(bot_id, behind, floor) if same_epoch or self._sharded else None
        if lost is not None:
            log.warning(
                "Redis lost events %d..%d of %s (a failover?); publishing them again", behind + 1, floor, bot_id
            )
            for published in lost:
                call = [*published.args, b"%d" % published.seq, b"strict", *self._tail_flags]
                try:
                    reply = await self._run_script(published.keys, call)
                except ReplyLost:  # an exact seq is safe to send again: the script says if it landed
                    reply = await self._run_script(published.keys, call)
                if int(reply[0]) == 0:
                    break
                self.republished += 1
            else:
                reply = await self._publish_once(event, keys, args, b"strict")
                if isinstance(reply, Envelope) or int(reply[0]) != 0:
                    return reply
        log.warning("Redis is behind %s's seq %d at %d and the events between are not all kept here; "
                    "publishing with a gap (readers resync this bot)", bot_id, floor, behind)  # fmt: skip
        return await self._publish_once(event, keys, args, b"force")

    async def _announce(self, bot_id: str) -> None:
        """Cluster: the bots set is not in the bot's slot, so it is written here, and a broadcast tells
        "every bot" subscribers to subscribe on this bot's shard. Once per bot per publisher."""
        await self._redis.sadd(self._topics.bots(), bot_id)
        await self._redis.publish(self._topics.fleet(), bot_id)
        self._announced.add(bot_id)

    async def _announce_again(self, bot_id: str) -> None:
        """Best effort: the bots set lives on another shard, which may be down in the same failover; the
        bot's own publish goes on, and its next publish announces it (it is no longer marked as done)."""
        self._announced.discard(bot_id)
        try:
            await self._announce(bot_id)
        except UNAVAILABLE_OR_REFUSING as error:
            log.warning("cannot announce %s again yet (%s); its next publish will", bot_id, error)

    async def _find(self, event: Event) -> Envelope | None:
        """The event as stored, if it is among the bot's latest stream entries."""
        found = await find_in_stream(self._redis, self._topics.bot_stream(event.bot_id), event.event_id, LOOKBACK)
        if found is None:
            return None
        offset, stored = found
        self._floors[event.bot_id] = max(stored.seq, self._floors.get(event.bot_id, 0))
        epoch = await self._redis.get(self._topics.epoch(event.bot_id))
        return Envelope(epoch=_text(epoch or b""), offset=offset, event=stored)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
