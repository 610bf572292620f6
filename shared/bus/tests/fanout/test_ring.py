"""The shared ring and the sockets that hold a cursor into it (pusher.py), on a real hub and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tradewire_bus import ClientTooSlow, Hub, RedisBus, Resync
from tradewire_bus.fanout import Pusher, Ring
from tradewire_schemas import Envelope
from tradewire_testing import eventually
from tradewire_testing.factories import price, trade

RING = 8


class MemoryOutlet:
    """An outlet whose buffer has room or not, as the test says; what was written, as text."""

    def __init__(self, room: bool = True) -> None:
        self.frames: list[str] = []
        self.room = room
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def ready(self) -> bool:
        return self.room and not self.closed

    def write_text(self, text: str) -> None:
        assert self.ready(), "written to while it had no room"
        self.frames.append(text)

    def try_write(self, text: str) -> bool:
        if not self.ready():
            return False
        self.frames.append(text)
        return True

    async def wait_ready(self) -> bool:
        while not self.ready():
            if self.closed:
                return False
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return True

    def set_room(self, room: bool) -> None:
        self.room = room
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def render(item: Envelope | Resync) -> str:
    if isinstance(item, Resync):
        return "resync"
    return f"{item.event.type}:{item.event.seq}"


def seqs(outlet: MemoryOutlet, kind: str = "") -> list[int]:
    return [int(frame.rpartition(":")[2]) for frame in outlet.frames if frame.startswith(kind)]


@pytest.fixture
async def hub(bus: RedisBus) -> AsyncIterator[Hub]:
    hub = Hub(bus, ring_size=RING)
    task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.ready.wait(), 5)
    yield hub
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_the_ring_wraps_around_keeping_the_last_items_by_position() -> None:
    ring = Ring(4)
    items = [Envelope(epoch="e", offset=f"1-{n}", event=trade(order_id=f"o-{n}")) for n in range(10)]
    for n, item in enumerate(items):
        assert ring.append(item) == n
    assert (ring.tail, ring.head) == (6, 10)
    assert [ring[n] for n in range(6, 10)] == items[6:]
    with pytest.raises(IndexError):
        ring[5]  # overwritten


def test_a_price_is_superseded_only_by_a_newer_one_of_its_bot() -> None:
    ring = Ring(4)
    old, other, new = (
        Envelope(epoch="e", offset=f"1-{n}", event=e) for n, e in enumerate([price(), price("beta"), price()])
    )
    positions = [ring.append(item) for item in (old, other, new)]
    assert ring.superseded(positions[0], old)
    assert not ring.superseded(positions[1], other) and not ring.superseded(positions[2], new)
    assert not ring.superseded(0, Envelope(epoch="e", offset="1-9", event=trade()))  # trades never are


async def run(hub: Hub, pusher: Pusher) -> asyncio.Task[None]:
    return asyncio.create_task(pusher.run(hub.known_bots))


async def test_a_live_client_gets_every_event_in_order_while_the_ring_wraps_many_times(bus: RedisBus, hub: Hub) -> None:
    outlet = MemoryOutlet()
    async with hub.attach_socket(outlet, render, bots=["alpha"]) as pusher:
        task = await run(hub, pusher)
        await eventually(lambda: pusher.live, what="the client is live")
        for i in range(5 * RING):
            await bus.publish(price(iteration=i) if i % 2 else trade(order_id=f"o-{i}"))
        await eventually(lambda: len(outlet.frames) == 5 * RING, what="every event written")
        task.cancel()
    assert seqs(outlet) == list(range(1, 5 * RING + 1))  # prices too: it never fell behind


async def test_a_client_that_falls_past_the_tail_gets_every_trade_and_the_latest_price_from_the_stream(
    bus: RedisBus, hub: Hub
) -> None:
    outlet = MemoryOutlet()
    async with hub.attach_socket(outlet, render, bots=["alpha"]) as pusher:
        task = await run(hub, pusher)
        await bus.publish(trade(order_id="first"))
        await eventually(lambda: len(outlet.frames) == 1, what="the first trade written")
        outlet.set_room(False)
        for i in range(6 * RING):  # far past the ring's tail
            await bus.publish(price(iteration=i) if i % 3 else trade(order_id=f"o-{i}"))
        await eventually(lambda: not pusher.live and hub._ring.tail > pusher.cursor, what="past the tail")
        outlet.set_room(True)
        await eventually(lambda: seqs(outlet)[-1] == 6 * RING + 1, what="caught up")
        task.cancel()
    got = seqs(outlet)
    trades = [n + 2 for n in range(6 * RING) if n % 3 == 0]
    assert seqs(outlet, "trade") == [1, *trades]  # every trade, once, in order: no gap
    assert got == sorted(set(got)) and len(got) < 6 * RING + 1  # superseded prices were left out
    assert got[-1] == 6 * RING + 1  # and the latest price is there


async def test_many_clients_at_different_cursors_each_get_everything_and_none_waits_for_another(
    bus: RedisBus, hub: Hub
) -> None:
    outlets = [MemoryOutlet() for _ in range(6)]
    attachments = [hub.attach_socket(outlet, render, bots=["alpha"], conflate=False) for outlet in outlets]
    pushers = [await attachment.__aenter__() for attachment in attachments]
    tasks = [asyncio.create_task(pusher.run(hub.known_bots)) for pusher in pushers]
    try:
        await eventually(lambda: all(p.live for p in pushers), what="all live")
        for i in range(3 * RING):
            # Each client but the first loses its room at a different point: their cursors spread out.
            for n, outlet in enumerate(outlets[1:], start=1):
                if i == n * 3:
                    outlet.set_room(False)
            await bus.publish(trade(order_id=f"o-{i}"))
            await eventually(lambda: len(outlets[0].frames) == i + 1, what="relayed")  # noqa: B023
        # The client with room got everything as it came, however far behind the others were.
        assert [len(outlet.frames) for outlet in outlets[1:]] == [n * 3 for n in range(1, 6)]
        for outlet in outlets[1:]:
            outlet.set_room(True)
        await eventually(lambda: all(len(o.frames) == 3 * RING for o in outlets), what="all caught up")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for attachment in attachments:
            await attachment.__aexit__(None, None, None)
    for outlet in outlets:
        assert seqs(outlet) == list(range(1, 3 * RING + 1))


async def test_a_client_that_takes_nothing_for_the_stall_time_is_cut_off_with_its_offsets(
    bus: RedisBus, hub: Hub
) -> None:
    outlet = MemoryOutlet()
    async with hub.attach_socket(outlet, render, bots=["alpha"], stall_s=0.2) as pusher:
        task = await run(hub, pusher)
        first = await bus.publish(trade(order_id="first"))
        await eventually(lambda: len(outlet.frames) == 1, what="the first trade written")
        outlet.set_room(False)
        await bus.publish(trade(order_id="never taken"))
        with pytest.raises(ClientTooSlow) as slow:
            await asyncio.wait_for(task, 5)
    assert slow.value.offsets == {"alpha": first.offset}  # where it resumes: nothing is lost
    assert "took no frame for 0.2 s" in str(slow.value)
    assert hub.stats.cut_off == 1 and hub.clients == 0
