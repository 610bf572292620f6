"""Prometheus metrics of one gateway app, in the app's own registry (no process-global state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from tradewire_bus import BusStats

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
        self.relayed = Counter(
            "tradewire_gateway_events_relayed",
            "Events written to WebSocket clients, by event type",
            ["type"],
            registry=r,
        )
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
        self.latency = Histogram(
            "tradewire_gateway_bus_to_socket_seconds",
            "From the event's stream entry time (Redis clock) to its frame written to a socket; live events only",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._relayed_by_type: dict[str, Counter] = {}
        self._bus_stats: Callable[[], BusStats | None] = lambda: None
        r.register(_BusStatsCollector(lambda: self._bus_stats()))

    def count_relayed(self, event_type: str) -> None:
        # `labels()` builds and looks up a key under a lock: per delivery, at 20k a second, that shows.
        child = self._relayed_by_type.get(event_type)
        if child is None:
            child = self._relayed_by_type[event_type] = self.relayed.labels(type=event_type)
        child.inc()

    def watch_bus(self, stats: Callable[[], BusStats | None]) -> None:
        self._bus_stats = stats

    def render(self) -> bytes:
        return generate_latest(self.registry)
