"""Publishing events: the trader's one outbound port, with a Redis and an in-memory implementation.

The Redis publish is one Lua script, so these happen atomically or not at all: assign the bot's next
`seq`, append the event to the bot's stream (bounded), update the bot's latest-state hash and PUBLISH
the envelope (epoch, stream offset, event) for live fan-out.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from redis.asyncio import Redis
from tradewire_schemas import CommandResult, Envelope, Event

from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable
from tradewire_bus.redis_errors import CONNECTION_ERRORS
from tradewire_bus.snapshot import state_field
from tradewire_bus.topics import Topics

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
if KEYS[6] then
  redis.call('SET', KEYS[6], body, 'EX', ARGV[9])
end
redis.call('PUBLISH', ARGV[7], '{"epoch":"' .. epoch .. '","offset":"' .. id .. '","event":' .. body .. '}')
return {seq, id, epoch}
"""


def new_epoch_candidate() -> str:
    """Becomes the epoch only if Redis has none. Fresh every time: a Redis that lost its data must get
    an epoch it never had, or subscribers could not tell."""
    return uuid.uuid4().hex


class Publisher(Protocol):
    """What the trader needs from the bus: publish a fact, get it back with its seq and offset."""

    async def publish(self, event: Event) -> Envelope: ...


def split_for_seq(event: Event) -> tuple[str, str]:
    """The event's JSON cut in two around the place where the script writes `"seq":N`.

    `type` is always the first field, so the cut goes right after it and the wire JSON reads
    `{"type":...,"seq":N,...}` without Redis having to parse JSON.
    """
    body = event.model_dump_json(exclude={"seq"})
    cut = body.index(",")
    return body[:cut] + ',"seq":', body[cut:]


class RedisPublisher:
    def __init__(self, redis: Redis, config: BusConfig) -> None:
        self._redis = redis
        self._config = config
        self._topics = Topics(config.namespace)
        self._script = redis.register_script(PUBLISH_SCRIPT)
        self._floors: dict[str, int] = {}

    def continue_after(self, bot_id: str, seq: int) -> None:
        """Never assign a `seq` at or below this one for the bot, even if Redis lost its counter."""
        self._floors[bot_id] = max(seq, self._floors.get(bot_id, 0))

    async def publish(self, event: Event) -> Envelope:
        topics, bot_id = self._topics, event.bot_id
        head, tail = split_for_seq(event)
        keys = [
            topics.bot_seq(bot_id),
            topics.bot_stream(bot_id),
            topics.bot_state(bot_id),
            topics.bots(),
            topics.epoch(),
        ]
        if isinstance(event, CommandResult) and event.outcome != "accepted":
            # Kept so that a sender retrying the same command id gets this answer instead of a rerun.
            keys.append(topics.command_result(event.command_id))
        try:
            seq, offset, epoch = await self._script(
                keys=keys,
                args=[
                    head,
                    tail,
                    state_field(event.type),
                    self._config.stream_maxlen,
                    self._floors.get(bot_id, 0),
                    new_epoch_candidate(),
                    topics.bot_events(bot_id),
                    bot_id,
                    self._config.command_memory_s,
                ],
            )
        except CONNECTION_ERRORS as error:
            raise BusUnavailable(f"cannot publish {event.type} for {bot_id}: {error}") from error
        self._floors[bot_id] = int(seq)
        return Envelope(epoch=_text(epoch), offset=_text(offset), event=event.model_copy(update={"seq": int(seq)}))


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
