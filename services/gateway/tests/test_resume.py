from __future__ import annotations

from typing import Any

import pytest

from tradewire_bus import RedisBus
from tradewire_gateway import resume
from tradewire_gateway.resume import missed_events, snapshots


async def test_missed_events_come_page_by_page_in_order_and_only_of_the_chosen_types(
    bus: RedisBus, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resume, "HISTORY_PAGE", 2)
    first = await bus.publish(make.trade("alpha", 1))
    published = [await bus.publish(make.trade("alpha", n) if n % 2 else make.price("alpha", n)) for n in range(2, 9)]
    everything = [e.offset async for e in missed_events(bus, "alpha", first.offset, None)]
    trades = [e.event.seq async for e in missed_events(bus, "alpha", first.offset, {"trade_executed"})]
    assert everything == [p.offset for p in published]
    assert trades == [3, 5, 7]


async def test_prices_superseded_within_a_page_are_skipped_but_no_trade_is(
    bus: RedisBus, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resume, "HISTORY_PAGE", 5)
    first = await bus.publish(make.trade("alpha", 1))
    published = [
        await bus.publish(make.trade("alpha", n) if n % 4 == 0 else make.price("alpha", n)) for n in range(2, 12)
    ]
    sent = [e async for e in missed_events(bus, "alpha", first.offset, None)]
    by_seq = {e.event.seq: e.event.type for e in published}
    # pages of five: seqs 2-6 and 7-11; trades at 4 and 8; the last price of each page survives
    assert [e.event.seq for e in sent] == [4, 6, 8, 11]
    assert [by_seq[e.event.seq] for e in sent] == ["trade_executed", "price_update", "trade_executed", "price_update"]


async def test_an_offset_no_longer_in_the_stream_yields_nothing_for_the_hub_to_resync(bus: RedisBus, make: Any) -> None:
    await bus.publish(make.trade("alpha"))
    assert [e async for e in missed_events(bus, "alpha", "1-0", None)] == []


async def test_snapshots_cover_the_chosen_or_known_bots_that_published(bus: RedisBus, make: Any) -> None:
    await bus.publish(make.status("alpha"))
    await bus.publish(make.trade("beta"))
    known = [frame.bot_id async for frame in snapshots(bus, None)]
    chosen = [frame async for frame in snapshots(bus, ["beta", "ghost"])]
    assert known == ["alpha", "beta"]
    assert [frame.bot_id for frame in chosen] == ["beta"]
    assert chosen[0].data.trade is not None and chosen[0].offset == chosen[0].data.offset
