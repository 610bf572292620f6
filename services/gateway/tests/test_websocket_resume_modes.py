"""The resume contract, chosen by the client: by default every trade, status change and command result
plus the latest price, stats and heartbeat; with `full=1`, every event, gap-free in seq."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradewire_bus import RedisBus

Opener = Callable[..., Any]


async def _away_while_prices_move(bus: RedisBus, make: Any) -> tuple[str, list[int]]:
    """One trade seen, then what a client misses: trades with prices, heartbeats and stats between them."""
    seen = await bus.publish(make.trade("alpha", 1))
    missed = []
    for n in range(2, 5):
        for tick in range(5):
            missed.append(await bus.publish(make.price("alpha", n * 10 + tick)))
        missed.append(await bus.publish(make.heartbeat("alpha")))
        missed.append(await bus.publish(make.trade("alpha", n)))
    missed.append(await bus.publish(make.price("alpha", 99)))
    return seen.offset, [envelope.event.seq for envelope in missed]


async def _resume(ws: Opener, bus: RedisBus, make: Any, query: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with ws(query) as client:
        subscribed = await client.receive_until(lambda frame: frame["type"] == "subscribed")
        frames = list(client.skipped)  # snapshots come before `subscribed`, missed history after it
        marker = await bus.publish(make.trade("alpha", 100))  # live, after the resume
        await client.receive_until(lambda frame: frame.get("offset") == marker.offset)
        frames += client.skipped
    return subscribed, frames


async def test_a_resume_by_default_gets_every_trade_and_the_latest_price_and_heartbeat(
    ws: Opener, bus: RedisBus, make: Any
) -> None:
    after, missed_seqs = await _away_while_prices_move(bus, make)
    subscribed, frames = await _resume(ws, bus, make, f"bots=alpha&after=alpha:{after}")
    assert subscribed["full"] is False
    kinds = [frame["type"] for frame in frames]
    assert kinds.count("trade_executed") == 3
    assert kinds.count("price_update") == 1 and frames[-1]["data"]["last"] == "42099"  # the latest price
    assert kinds.count("heartbeat") == 1
    seqs = [frame["data"]["seq"] for frame in frames]
    assert seqs == sorted(seqs) and set(seqs) < set(missed_seqs)  # in order, with superseded updates left out


async def test_a_full_resume_gets_every_event_gap_free_in_seq(ws: Opener, bus: RedisBus, make: Any) -> None:
    after, missed_seqs = await _away_while_prices_move(bus, make)
    subscribed, frames = await _resume(ws, bus, make, f"bots=alpha&after=alpha:{after}&full=1")
    assert subscribed["full"] is True
    assert [frame["data"]["seq"] for frame in frames] == missed_seqs == list(range(2, 2 + len(missed_seqs)))
    assert [frame["type"] for frame in frames].count("price_update") == 16


async def test_full_must_be_true_or_false(ws: Opener) -> None:
    async with ws("full=maybe") as client:
        code, reason = await client.closed_with()
    assert code == 4400 and "full must be true or false" in reason
