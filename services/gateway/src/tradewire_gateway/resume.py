"""What a socket gets before live events: missed history read from the stream, or each bot's snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

from tradewire_bus import RedisBus
from tradewire_bus.fanout.conflation import latest_only
from tradewire_gateway.frames import SnapshotFrame
from tradewire_schemas import Envelope

HISTORY_PAGE = 500


async def missed_events(
    bus: RedisBus, bot_id: str, after: str, types: Collection[str] | None, *, full: bool = False
) -> AsyncIterator[Envelope]:
    """Every retained event of the bot after `after`, page by page, so the reader paces the reading.

    Price, stats and heartbeat updates superseded within a page are skipped (`latest_only`), unless the
    client asked for every event (`full`).

    Yields nothing when `after` is no longer in the stream: the hub's own replay then sends a resync.
    """
    if not await bus.redis.xrange(bus.topics.bot_stream(bot_id), min=after, max=after, count=1):
        return
    while True:
        page = await bus.history(bot_id, after=after, limit=HISTORY_PAGE)
        for envelope in page if full else latest_only(page):
            if types is None or envelope.event.type in types:
                yield envelope
        if len(page) < HISTORY_PAGE:
            return
        after = page[-1].offset


async def snapshots(bus: RedisBus, bots: Collection[str] | None) -> AsyncIterator[SnapshotFrame]:
    """The current snapshot of each chosen (or known) bot that has published anything."""
    for bot in sorted(bots) if bots is not None else await bus.bots():
        snapshot = await bus.snapshot(bot)
        if snapshot.offset is not None:
            yield SnapshotFrame(bot_id=bot, offset=snapshot.offset, data=snapshot)
