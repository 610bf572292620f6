from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tradewire_bus import RedisBus
from tradewire_testing import eventually


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in metrics"
    return float(match.group(1))


async def test_metrics_count_clients_relayed_events_and_bus_to_socket_latency(
    ws: Callable[..., Any], http: httpx.AsyncClient, bus: RedisBus, make: Any
) -> None:
    async with ws("snapshot=false") as client:
        await client.receive()  # subscribed
        during = (await http.get("/metrics")).text
        await bus.publish(make.trade("alpha"))
        await bus.publish(make.price("alpha"))
        await bus.publish(make.price("alpha", 2))
        for _ in range(3):
            await client.receive()
    assert _value(during, "tradewire_gateway_ws_clients") == 1

    async def after_disconnect() -> str | None:
        text = (await http.get("/metrics")).text
        return text if _value(text, "tradewire_gateway_ws_clients") == 0 else None

    text: str = await eventually(after_disconnect, what="client gauge back to 0")
    assert _value(text, 'tradewire_gateway_events_relayed_total{type="trade_executed"}') == 1
    assert _value(text, 'tradewire_gateway_events_relayed_total{type="price_update"}') == 2
    assert _value(text, "tradewire_gateway_bus_to_socket_seconds_count") == 3
    assert _value(text, 'tradewire_gateway_bus_to_socket_seconds_bucket{le="+Inf"}') == 3
    assert _value(text, "tradewire_gateway_events_conflated_total") == 0
    assert _value(text, "tradewire_gateway_clients_dropped_total") == 0
    assert _value(text, "tradewire_gateway_bus_garbage_total") == 0
    assert _value(text, "tradewire_gateway_bus_stale_total") == 0
    assert (await http.get("/metrics")).headers["content-type"].startswith("text/plain")


async def test_garbage_on_the_bus_is_counted_and_skipped(
    ws: Callable[..., Any], http: httpx.AsyncClient, bus: RedisBus, make: Any
) -> None:
    async with ws("snapshot=false") as client:
        await client.receive()  # subscribed
        # The bot exists first: on a cluster, its channel is listened on only once the bot is known.
        await bus.publish(make.trade("alpha"))
        await client.receive()
        await bus.clients.publish(bus.topics.bot_events("alpha"), b"{not an envelope")
        published = await bus.publish(make.trade("alpha"))
        frame = await client.receive()
    assert frame["offset"] == published.offset
    text = (await http.get("/metrics")).text
    assert _value(text, "tradewire_gateway_bus_garbage_total") == 1


def test_deliveries_keep_cumulative_latency_buckets_and_leave_replayed_events_out() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from tradewire_gateway.metrics import Deliveries

    deliveries = Deliveries()
    registry = CollectorRegistry()
    registry.register(deliveries)
    for latency in (0.0005, 0.003, 20.0, None):  # None: a replayed event, counted but not timed
        deliveries.count("trade_executed", latency)
    text = generate_latest(registry).decode()
    assert _value(text, 'tradewire_gateway_events_relayed_total{type="trade_executed"}') == 4
    assert _value(text, 'tradewire_gateway_bus_to_socket_seconds_bucket{le="0.001"}') == 1
    assert _value(text, 'tradewire_gateway_bus_to_socket_seconds_bucket{le="0.005"}') == 2
    assert _value(text, 'tradewire_gateway_bus_to_socket_seconds_bucket{le="10.0"}') == 2
    assert _value(text, 'tradewire_gateway_bus_to_socket_seconds_bucket{le="+Inf"}') == 3
    assert _value(text, "tradewire_gateway_bus_to_socket_seconds_count") == 3
    assert abs(_value(text, "tradewire_gateway_bus_to_socket_seconds_sum") - 20.0035) < 1e-9
