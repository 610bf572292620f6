"""Issue 17, finding 1, at the gateway: one forged envelope with `seq` 1e9 made every live gateway drop
a bot's real events as duplicates until restart, and a forged next `seq` replaced the real event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tradewire_bus import RedisBus
from tradewire_testing import eventually

from .test_metrics import _value


async def test_forged_envelopes_neither_silence_a_bot_nor_reach_a_client(
    ws: Callable[..., Any], http: httpx.AsyncClient, bus: RedisBus, make: Any
) -> None:
    channel = bus.topics.bot_events("alpha")
    async with ws("snapshot=false") as client:
        await client.receive()  # subscribed
        first = await bus.publish(make.trade("alpha", 1))
        assert (await client.receive())["offset"] == first.offset
        for seq, order in ((1_000_000_000, "silence"), (first.event.seq + 1, "replace")):
            forged_event = first.event.model_copy(update={"seq": seq, "order_id": order})
            await bus.clients.publish(channel, first.model_copy(update={"event": forged_event}).model_dump_json())

        async def both_forgeries_counted() -> bool:
            return _value((await http.get("/metrics")).text, "tradewire_gateway_bus_forged_total") == 2

        # Judged before the real trade 2 exists: after it, a forgery of seq 2 is a mere (harmless) duplicate.
        await eventually(both_forgeries_counted, what="both forgeries counted")
        real = [await bus.publish(make.trade("alpha", n)) for n in (2, 3)]
        frames = [await client.receive(), await client.receive()]
    assert [f["data"]["order_id"] for f in frames] == ["order-2", "order-3"]
    assert [f["offset"] for f in frames] == [e.offset for e in real]
    assert _value((await http.get("/metrics")).text, "tradewire_gateway_bus_forged_total") == 2
