"""A slow or stalled client must never delay the others, and must never silently lose a trade."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tradewire_bus import RedisBus
from tradewire_testing import eventually

# About 10 MB of frames: more than the kernel (up to 4 MB send buffer) and uvicorn buffer for a stalled socket.
EVENTS = 1600
BATCH = 100
CURRENCIES = 250


async def _publish_trades_and_prices(bus: RedisBus, make: Any, count: int, start: int = 1) -> None:
    for n in range(start, count + 1):
        await bus.publish(make.price("alpha", n) if n % 4 == 0 else make.trade("alpha", n, CURRENCIES))


async def _collect_until_seq(client: Any, last_seq: int, frames: list[dict[str, Any]] | None = None) -> list[Any]:
    frames = list(frames or [])
    while not frames or frames[-1]["data"]["seq"] < last_seq:
        frames.append(await client.receive())
    return frames


async def test_stalled_client_does_not_delay_a_fast_one_and_catches_up_from_the_stream_without_loss(
    gateway_factory: Callable[..., Any], stalled_sockets: Callable[..., Any], ws_to: Any, bus: RedisBus, make: Any
) -> None:
    # A ring of 200 events: the stalled client falls far past its tail, so what it missed comes from the stream.
    gateway = gateway_factory(ws_ring_size=200, ws_send_timeout_s=60)
    stalled = stalled_sockets(gateway, "bots=alpha&snapshot=false")
    async with ws_to(gateway)("bots=alpha&snapshot=false") as fast:
        assert (await fast.receive())["type"] == "subscribed"
        fast_frames: list[dict[str, Any]] = []
        for batch_end in range(BATCH, EVENTS + 1, BATCH):
            # The fast reader keeps up batch by batch; the stalled one reads nothing throughout.
            await _publish_trades_and_prices(bus, make, batch_end, start=batch_end - BATCH + 1)
            fast_frames += await _collect_until_seq(fast, batch_end)

    # The fast client got every event, in order, while the other one read nothing at all.
    assert [f["data"]["seq"] for f in fast_frames] == list(range(1, EVENTS + 1))

    # The stalled client reads again: it is still connected, and gets every trade once and in order, and
    # only the prices that no later one in the same read superseded.
    frames = await asyncio.to_thread(stalled.messages_until, lambda frame: frame.get("data", {}).get("seq") == EVENTS)
    assert frames[0]["type"] == "subscribed"
    seqs = [f["data"]["seq"] for f in frames[1:]]
    assert [n for n in seqs if n % 4] == [n for n in range(1, EVENTS + 1) if n % 4]
    assert seqs == sorted(set(seqs))
    assert len(seqs) < EVENTS  # superseded prices were left out

    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{gateway.url}/metrics")).text
    assert "tradewire_gateway_clients_dropped_total 0.0" in metrics


async def test_client_that_takes_no_frame_within_the_send_timeout_is_released(
    gateway_factory: Callable[..., Any], stalled_sockets: Callable[..., Any], bus: RedisBus, make: Any
) -> None:
    gateway = gateway_factory(ws_send_timeout_s=0.5)
    stalled_sockets(gateway, "snapshot=false")
    async with httpx.AsyncClient(base_url=gateway.url) as http:

        async def gauge(value: int) -> bool:
            return f"tradewire_gateway_ws_clients {float(value)}" in (await http.get("/metrics")).text

        await eventually(lambda: gauge(1), what="stalled client connected")
        await _publish_trades_and_prices(bus, make, EVENTS)
        await eventually(lambda: gauge(0), timeout=15, what="stalled client released")
        metrics = (await http.get("/metrics")).text
    assert "tradewire_gateway_clients_dropped_total 1.0" in metrics
