"""The outbox publishes in order, never drops durable events, conflates updates, never sends twice."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal as D
from pathlib import Path
from uuid import UUID

from tradewire_bus import BusUnavailable, InMemoryPublisher
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, Event, Heartbeat, PriceUpdated, StatusChanged
from tradewire_testing import eventually
from tradewire_trader.outbox import CONFIRMS_WITHIN, Outbox
from tradewire_trader.state_store import StateStore


class FlakyPublisher(InMemoryPublisher):
    """An in-memory bus that can be switched off, like Redis going away."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True

    async def publish(self, event: Event) -> Envelope:
        if not self.up:
            raise BusUnavailable("redis is down")
        return await super().publish(event)


def status(n: int) -> StatusChanged:
    return StatusChanged(bot_id="b", status="running", reason=f"r{n}", actor="t")


def price(n: int) -> PriceUpdated:
    return PriceUpdated(bot_id="b", symbol="BTC/USDT", last=D(n), bid=D(n), ask=D(n), change_pct=D(0), iteration=n)


async def start(outbox: Outbox) -> asyncio.Task[None]:
    return asyncio.create_task(outbox.run())


def durable(outbox: Outbox, store: StateStore, event: Event) -> None:
    [outbox_id] = store.save({}, [event])
    outbox.add_durable(outbox_id, event)


async def test_while_the_bus_is_down_durable_events_wait_and_updates_are_conflated(store: StateStore) -> None:
    publisher = FlakyPublisher()
    publisher.up = False
    outbox = Outbox(store, publisher, backoff=Backoff(0.001, 0.01))
    task = await start(outbox)
    try:
        for n in range(50):
            durable(outbox, store, status(n))
            outbox.add_latest(price(n))
            outbox.add_latest(Heartbeat(bot_id="b", status="running", interval_s=1))
        await eventually(lambda: outbox.failures >= 3, what="publish attempts while down")
        assert len(store.pending()) == 50
        publisher.up = True
        assert await outbox.flush(5)
    finally:
        task.cancel()
    events = publisher.events()
    assert [e.reason for e in events if isinstance(e, StatusChanged)] == [f"r{n}" for n in range(50)]
    assert [e.iteration for e in events if isinstance(e, PriceUpdated)] == [49]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    last_durable = [e.seq for e in events if isinstance(e, StatusChanged)][-1]
    assert store.pending() == [] and store.last_seq() == last_durable


async def test_updates_keep_their_place_after_the_facts_they_follow(store: StateStore) -> None:
    publisher = FlakyPublisher()
    outbox = Outbox(store, publisher)
    outbox.add_latest(price(1))
    durable(outbox, store, status(1))
    outbox.add_latest(price(2))
    task = await start(outbox)
    assert await outbox.flush(5)
    task.cancel()
    assert [e.type for e in publisher.events()] == ["status_change", "price_update"]


async def test_after_a_restart_an_event_already_on_the_bus_is_not_sent_again(store: StateStore) -> None:
    publisher = InMemoryPublisher()
    first, second = status(1), status(2)
    store.save({}, [first, second])
    await publisher.publish(first)  # landed, but the trader died before confirming it

    async def lookup(event_id: UUID) -> int | None:
        return next((e.seq for e in publisher.events() if e.event_id == event_id), None)

    outbox = Outbox(store, publisher, lookup=lookup)
    outbox.resume("b", floor=0)
    task = await start(outbox)
    assert await outbox.flush(5)
    task.cancel()
    assert [e.event_id for e in publisher.events()] == [first.event_id, second.event_id]
    assert store.pending() == [] and store.last_seq() == 2


async def test_resume_continues_seq_above_the_saved_and_the_bus_floor(store: StateStore) -> None:
    [outbox_id] = store.save({}, [status(1)])
    store.confirm(outbox_id, 41)
    publisher = InMemoryPublisher()
    outbox = Outbox(store, publisher)
    outbox.resume("b", floor=40)
    outbox.add_latest(price(1))
    task = await start(outbox)
    assert await outbox.flush(5)
    task.cancel()
    assert publisher.events()[0].seq == 42


def unconfirmed_on_disk(path: Path) -> list[UUID]:
    """The outbox as a restarted trader would find it after kill -9 (the store's memory lost)."""
    with sqlite3.connect(path) as db:
        return [UUID(row[0]) for row in db.execute("SELECT event_id FROM outbox ORDER BY id")]


async def test_confirmations_left_unwritten_are_the_streams_latest_and_a_restart_sends_none_twice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    for n in range(250):  # written first: no state change between publishes to carry the confirmations
        store.save({}, [status(n)])
    publisher = InMemoryPublisher()
    outbox = Outbox(store, publisher)
    outbox.resume("b")
    task = await start(outbox)
    assert await outbox.flush(5)
    task.cancel()
    left = unconfirmed_on_disk(path)
    assert 0 < len(left) < CONFIRMS_WITHIN, "confirmations are written at least every CONFIRMS_WITHIN events"
    assert set(left) <= {e.event_id for e in publisher.events()[-CONFIRMS_WITHIN:]}

    async def lookup(event_id: UUID) -> int | None:  # the stream's tail, as stream_tail_lookup reads it
        return next((e.seq for e in publisher.events()[-1000:] if e.event_id == event_id), None)

    restarted = StateStore(path)  # kill -9: the first store's unwritten confirmations are gone
    again = Outbox(restarted, publisher, lookup=lookup)
    again.resume("b")
    task = await start(again)
    assert await again.flush(5)
    task.cancel()
    ids = [e.event_id for e in publisher.events()]
    assert len(ids) == len(set(ids)) == 250, "no event published twice"
    restarted.close()
    reopened = StateStore(path)
    assert unconfirmed_on_disk(path) == [] and reopened.last_seq() == 250
    reopened.close()


async def test_an_idle_outbox_writes_its_confirmations_within_about_a_second(store: StateStore) -> None:
    outbox = Outbox(store, InMemoryPublisher())
    durable(outbox, store, status(1))
    task = await start(outbox)
    try:
        assert await outbox.flush(5)
        assert store.pending() == [] and len(unconfirmed_on_disk(store.path)) == 1
        await eventually(lambda: unconfirmed_on_disk(store.path) == [], timeout=5, what="confirmation written")
    finally:
        task.cancel()
