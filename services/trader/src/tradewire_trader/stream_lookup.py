"""Find an event already on the bus by its id, reading the tail of the bot's stream (names from `Topics`)."""

from __future__ import annotations

from uuid import UUID

from tradewire_bus import RedisBus
from tradewire_schemas import MessageRejected, decode_event
from tradewire_trader.outbox import PublishedLookup


def stream_tail_lookup(bus: RedisBus, bot_id: str, depth: int = 1000) -> PublishedLookup:
    """Only the head of the outbox can be in doubt (it publishes one event at a time), so the tail suffices."""
    stream = bus.topics.bot_stream(bot_id)

    async def lookup(event_id: UUID) -> int | None:
        needle = str(event_id).encode()
        for _entry_id, fields in await bus.redis.xrevrange(stream, count=depth) or []:
            raw = (fields or {}).get(b"event", b"")
            if not isinstance(raw, bytes):
                continue
            if needle not in raw:
                continue
            try:
                event = decode_event(raw)
            except MessageRejected:
                continue
            if event.event_id == event_id:
                return event.seq
        return None

    return lookup
