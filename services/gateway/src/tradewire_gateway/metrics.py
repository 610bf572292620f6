"""Prometheus metrics of one gateway app, in the app's own registry (no process-global state)."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from tradewire_bus import BusStats, Resync
from tradewire_schemas import Envelope, stream_order

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _BusStatsCollector(Collector):
    """Reads the bus client's own counters at scrape time, so they are never copied twice."""

    def __init__(self, stats: Callable[[], BusStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self._stats()
        if stats is None:
            return
        for name, help_text in (
            ("garbage", "Undecodable or invalid bus messages skipped"),
            ("forged", "Well-formed live bus envelopes the stream did not confirm, skipped"),
            ("stale", "Live bus envelopes of an epoch a failover lost, heard before the bot's first event, skipped"),
            ("duplicates", "Bus events seen twice (live and backfill) and delivered once"),
            ("backfilled", "Bus events read from a stream (live messages only announce them)"),
            ("reconnects", "Bus subscription reconnects"),
            ("resyncs", "Times history was lost and clients were told to reload"),
        ):
            yield CounterMetricFamily(f"tradewire_gateway_bus_{name}", help_text, value=getattr(stats, name))


class Deliveries(Collector):
    """Events written to sockets, by type, and their bus-to-socket latency: plain ints per delivery,
    turned into Prometheus families only when scraped. prometheus_client's Counter and Histogram take a
    lock and several calls per update: at 1000 clients that was ~10 % of the gateway's Python time."""

    def __init__(self) -> None:
        self.by_type: dict[str, int] = {}
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last: above every bound
        self.latency_sum = 0.0

    def observe(self, item: Envelope | Resync, sockets: int, live: bool) -> None:
        """One item written to `sockets` sockets at once (the hub's fast path calls it once); timed if `live`
        (replayed history would say how old it is)."""
        if not isinstance(item, Resync):
            latency_s = max(0.0, time.time() - stream_order(item.offset)[0] / 1000) if live else None
            self.count(item.event.type, latency_s, sockets)

    def count(self, event_type: str, latency_s: float | None, sockets: int = 1) -> None:
        self.by_type[event_type] = self.by_type.get(event_type, 0) + sockets
        if latency_s is not None:
            self.buckets[bisect_left(LATENCY_BUCKETS, latency_s)] += sockets
            self.latency_sum += latency_s * sockets

    def collect(self) -> Iterator[Metric]:
        relayed = CounterMetricFamily(
            "tradewire_gateway_events_relayed", "Events written to WebSocket clients, by event type", labels=["type"]
        )
        for event_type, count in sorted(self.by_type.items()):
            relayed.add_metric([event_type], count)
        yield relayed
        cumulative, buckets = 0, []
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self.buckets, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))  # as prometheus_client
        yield HistogramMetricFamily(
            "tradewire_gateway_bus_to_socket_seconds",
            "From the event's stream entry time (Redis clock) to its frame written to a socket; live events only",
            buckets=buckets,
            sum_value=self.latency_sum,
        )


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "tradewire_gateway_commands",
            "Commands by name, outcome and path (http or ws)",
            ["command", "outcome", "via"],
            registry=r,
        )
        self.clients = Gauge("tradewire_gateway_ws_clients", "WebSocket clients connected now", registry=r)
        self.conflated = Counter(
            "tradewire_gateway_events_conflated",
            "Price, stats or heartbeat updates replaced by a newer one in a slow client's queue",
            registry=r,
        )
        self.dropped = Counter(
            "tradewire_gateway_clients_dropped",
            "Clients closed because they fell too far behind (they may resume from their offsets)",
            registry=r,
        )
        self.frames_rejected = Counter(
            "tradewire_gateway_ws_frames_rejected", "Client frames refused, by reason", ["reason"], registry=r
        )
        self.deliveries = Deliveries()
        r.register(self.deliveries)
        self._bus_stats: Callable[[], BusStats | None] = lambda: None
        r.register(_BusStatsCollector(lambda: self._bus_stats()))

    def watch_bus(self, stats: Callable[[], BusStats | None]) -> None:
        self._bus_stats = stats

    def render(self) -> bytes:
        return generate_latest(self.registry)
