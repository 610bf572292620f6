from __future__ import annotations

import pytest

from tradewire_bus import RedisBus
from tradewire_bus.lru import MISSING, Lru
from tradewire_schemas import Envelope
from tradewire_testing.factories import trade


def envelope(n: int) -> Envelope:
    return Envelope(epoch="e", offset=f"1-{n}", event=trade(order_id=f"o-{n}").model_copy(update={"seq": n}))


def test_keeps_the_most_recently_used_entries_up_to_its_capacity() -> None:
    cache: Lru[tuple[bytes, str, str], Envelope] = Lru(2)
    one, two, three = envelope(1), envelope(2), envelope(3)
    cache.put((b"e", "alpha", "1-1"), one)
    cache.put((b"e", "alpha", "1-2"), two)
    assert cache.get((b"e", "alpha", "1-1")) is one  # now the most recent
    cache.put((b"e", "alpha", "1-3"), three)
    assert cache.get((b"e", "alpha", "1-2")) is MISSING
    assert len(cache) == 2 and cache.hits == 1


def test_a_zero_capacity_keeps_nothing() -> None:
    cache: Lru[tuple[bytes, str, str], Envelope] = Lru(0)
    cache.put((b"e", "alpha", "1-1"), envelope(1))
    assert len(cache) == 0 and cache.get((b"e", "alpha", "1-1")) is MISSING


@pytest.mark.one_redis("on a cluster a shard that lost a bot is refilled from the publisher's window in the new epoch")
async def test_readers_of_the_same_history_share_decoded_entries_but_never_across_epochs(any_redis_url: str) -> None:
    async with RedisBus.connect(any_redis_url) as bus:
        published = [await bus.publish(trade(order_id=f"o-{n}")) for n in range(5)]
        first = await bus.history("alpha", limit=10)
        second = await bus.history("alpha", limit=10)
        assert [e.event.event_id for e in first] == [e.event.event_id for e in published]
        assert all(a is b for a, b in zip(first, second, strict=True)), "the second read reuses the first's"
        assert bus.decoded.hits == 5

        # Redis loses its data: the same offsets may come back with other events, under a new epoch.
        await bus.redis.flushall()
        again = [await bus.publish(trade(order_id=f"new-{n}")) for n in range(5)]
        after_loss = await bus.history("alpha", limit=10)
    assert [e.event.event_id for e in after_loss] == [e.event.event_id for e in again]
    assert {e.epoch for e in after_loss} != {e.epoch for e in first}
