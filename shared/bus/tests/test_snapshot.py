from __future__ import annotations

from datetime import timedelta

from tradewire_bus import BotSnapshot, RedisBus
from tradewire_schemas import Heartbeat, policy, utc_now


def snapshot_with_heartbeat(age_s: float, interval_s: float = 5) -> BotSnapshot:
    beat = Heartbeat(bot_id="alpha", status="running", interval_s=interval_s, ts=utc_now() - timedelta(seconds=age_s))
    return BotSnapshot(bot_id="alpha", epoch="e", offset="1-0", seq=1, heartbeat=beat)


def test_a_bot_is_live_while_heartbeats_arrive_and_stale_after_three_are_missed() -> None:
    assert snapshot_with_heartbeat(age_s=4).liveness() == "live"
    assert snapshot_with_heartbeat(age_s=16).liveness() == "stale"
    assert BotSnapshot(bot_id="x", epoch=None, offset=None, seq=0).liveness() == "unknown"


async def test_an_unknown_bot_has_an_empty_snapshot(bus: RedisBus) -> None:
    snapshot = await bus.snapshot("nobody")
    assert (snapshot.offset, snapshot.seq, snapshot.status, snapshot.price) == (None, 0, None, None)


async def test_a_hand_edited_state_field_does_not_hide_the_rest(bus: RedisBus) -> None:
    await bus.publish(Heartbeat(bot_id="alpha", status="running", interval_s=5))
    await bus.redis.hset(bus.topics.bot_state("alpha"), "price", "garbage")
    snapshot = await bus.snapshot("alpha")
    assert snapshot.heartbeat is not None and snapshot.price is None


def test_every_state_field_an_event_class_declares_is_a_snapshot_attribute_of_that_class() -> None:
    for cls in policy.EVENT_CLASSES:
        if cls.state_field is not None:
            annotation = BotSnapshot.model_fields[cls.state_field].annotation
            assert annotation == cls | None, (cls.__name__, cls.state_field)
