"""Publishing events: the trader's one outbound port, with a Redis and an in-memory implementation.

The Redis publish is one Lua script, so these happen atomically or not at all: assign the bot's next
`seq`, append the event to the bot's stream (bounded), update the bot's latest-state hash, append a
candle to the bot's capped candle stream (charts read the recent past there) and PUBLISH the envelope
(epoch, stream offset, event) for live fan-out.
"""

from __future__ import annotations

import os
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.reads import stream_entries
from tradewire_bus.redis_errors import CONNECTION_ERRORS
from tradewire_bus.script_runner import ReplyLost, ScriptRunner
from tradewire_bus.snapshot import state_field
from tradewire_bus.topics import Topics
from tradewire_schemas import CandleClosed, CommandResult, Envelope, Event, MessageRejected, decode_event

PUBLISH_SCRIPT = """
local epoch = redis.call('GET', KEYS[5])
if not epoch then
  epoch = ARGV[6]
  redis.call('SET', KEYS[5], epoch)
end
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[5])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
local body = ARGV[1] .. string.format('%d', seq) .. ARGV[2]
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'event', body)
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], body, 'offset', id, 'seq', seq)
else
  redis.call('HSET', KEYS[3], 'offset', id, 'seq', seq)
end
redis.call('SADD', KEYS[4], ARGV[8])
if ARGV[10] == 'candle' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[11], '*', 'event', body)
elseif KEYS[6] then
  redis.call('SET', KEYS[6], body, 'EX', ARGV[9])
end
redis.call('PUBLISH', ARGV[7], '{"epoch":"' .. epoch .. '","offset":"' .. id .. '","event":' .. body .. '}')
return {seq, id, epoch}
"""


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
    def __init__(self, redis: Redis, config: BusConfig) -> None:
        self._redis = redis
        self._config = config
        self._topics = Topics(config.namespace)
        self._run_script = ScriptRunner(redis, PUBLISH_SCRIPT)
        self._floors: dict[str, int] = {}
        self._names: dict[str, tuple[list[bytes], bytes, bytes]] = {}
        self._maxlen = b"%d" % config.stream_maxlen
        self._memory = b"%d" % config.command_memory_s
        self._candles = b"%d" % config.candle_history

    def continue_after(self, bot_id: str, seq: int) -> None:
        """Never assign a `seq` at or below this one for the bot, even if Redis lost its counter."""
        self._floors[bot_id] = max(seq, self._floors.get(bot_id, 0))

    def _names_for(self, bot_id: str) -> tuple[list[bytes], bytes, bytes]:
        """The bot's keys, channel and id as bytes, built once per bot."""
        names = self._names.get(bot_id)
        if names is None:
            topics = self._topics
            keys = [
                topics.bot_seq(bot_id),
                topics.bot_stream(bot_id),
                topics.bot_state(bot_id),
                topics.bots(),
                topics.epoch(),
            ]
            names = self._names[bot_id] = (
                [key.encode() for key in keys],
                topics.bot_events(bot_id).encode(),
                bot_id.encode(),
            )
        return names

    async def publish(self, event: Event) -> Envelope:
        bot_id = event.bot_id
        head, tail = split_for_seq(event)
        keys, channel, bot = self._names_for(bot_id)
        extra: list[bytes] = []
        if isinstance(event, CommandResult) and event.outcome != "accepted":
            # Kept so that a sender retrying the same command id gets this answer instead of a rerun.
            keys = [*keys, self._topics.command_result(event.command_id).encode()]
        elif isinstance(event, CandleClosed):
            keys = [*keys, self._topics.bot_candles(bot_id).encode()]
            extra = [b"candle", self._candles]
        args = [
            head.encode(), tail.encode(), state_field(event.type).encode(), self._maxlen,
            b"%d" % self._floors.get(bot_id, 0), new_epoch_candidate().encode(), channel, bot, self._memory,
            *extra,
        ]  # fmt: skip
        try:
            try:
                seq, offset, epoch = await self._run_script(keys, args)
            except ReplyLost:
                # The script may have run before the connection died: look before publishing again.
                if (landed := await self._find(event)) is not None:
                    return landed
                seq, offset, epoch = await self._run_script(keys, args)
        except CONNECTION_ERRORS as error:
            raise BusUnavailable(f"cannot publish {event.type} for {bot_id}: {error}") from error
        except ResponseError as error:  # e.g. a key of the bot overwritten by hand with another type
            raise BusUnavailable(f"Redis refused to publish {event.type} for {bot_id}: {error}") from error
        self._floors[bot_id] = int(seq)
        return Envelope(epoch=_text(epoch), offset=_text(offset), event=event.model_copy(update={"seq": int(seq)}))

    async def _find(self, event: Event) -> Envelope | None:
        """The event as stored, if it is among the bot's latest stream entries."""
        stream = self._topics.bot_stream(event.bot_id)
        entries = stream_entries(await self._redis.xrevrange(stream, count=LOOKBACK))
        for offset, fields in entries:
            try:
                stored = decode_event(fields[b"event"])
            except (MessageRejected, KeyError):
                continue
            if stored.event_id == event.event_id:
                self._floors[event.bot_id] = max(stored.seq, self._floors.get(event.bot_id, 0))
                epoch = await self._redis.get(self._topics.epoch())
                return Envelope(epoch=_text(epoch or b""), offset=offset, event=stored)
        return None


class InMemoryPublisher:
    """Keeps what was published, in order, with the same seq rules; for unit tests and benchmarks."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []
        self._seqs: dict[str, int] = {}

    def continue_after(self, bot_id: str, seq: int) -> None:
        self._seqs[bot_id] = max(seq, self._seqs.get(bot_id, 0))

    async def publish(self, event: Event) -> Envelope:
        seq = self._seqs.get(event.bot_id, 0) + 1
        self._seqs[event.bot_id] = seq
        envelope = Envelope(
            epoch="memory", offset=f"0-{len(self.published) + 1}", event=event.model_copy(update={"seq": seq})
        )
        self.published.append(envelope)
        return envelope

    def events(self) -> list[Event]:
        return [envelope.event for envelope in self.published]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
