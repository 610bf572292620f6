"""What a socket that asked for `snapshot=true` gets first: each bot's latest state, and the offset it reflects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

from tradewire_bus import RedisBus
from tradewire_gateway.frames import SnapshotFrame


async def snapshots(bus: RedisBus, bots: Collection[str] | None) -> AsyncIterator[SnapshotFrame]:
    """The current snapshot of each chosen (or known) bot that has published anything."""
    for bot in sorted(bots) if bots is not None else await bus.bots():
        snapshot = await bus.snapshot(bot)
        if snapshot.offset is not None:
            yield SnapshotFrame(bot_id=bot, offset=snapshot.offset, data=snapshot)
