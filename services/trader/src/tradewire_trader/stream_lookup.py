"""Find an event already on the bus by its id (`RedisBus.find_published`), for the outbox's doubtful head."""

from __future__ import annotations

from uuid import UUID

from tradewire_bus import RedisBus
from tradewire_trader.outbox import PublishedLookup


def stream_tail_lookup(bus: RedisBus, bot_id: str, depth: int = 1000) -> PublishedLookup:
    """Only events among the stream's latest `outbox.CONFIRMS_WITHIN` can be in doubt, so the tail suffices."""

    async def lookup(event_id: UUID) -> int | None:
        found = await bus.find_published(bot_id, event_id, depth)
        return None if found is None else found.event.seq

    return lookup
