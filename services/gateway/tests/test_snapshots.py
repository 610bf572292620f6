from __future__ import annotations

from typing import Any

from tradewire_bus import RedisBus
from tradewire_gateway.snapshots import snapshots


async def test_snapshots_cover_the_chosen_or_known_bots_that_published(bus: RedisBus, make: Any) -> None:
    await bus.publish(make.status("alpha"))
    await bus.publish(make.trade("beta"))
    known = [frame.bot_id async for frame in snapshots(bus, None)]
    chosen = [frame async for frame in snapshots(bus, ["beta", "ghost"])]
    assert known == ["alpha", "beta"]
    assert [frame.bot_id for frame in chosen] == ["beta"]
    assert chosen[0].data.trade is not None and chosen[0].offset == chosen[0].data.offset
