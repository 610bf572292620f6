"""Prometheus metrics of one notifier, in its own registry (no process-global state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tradewire_bus import BusStats


class _StateCollector(Collector):
    """The outbox by destination and status, and the bus client's counters, read at scrape time."""

    def __init__(self, outbox: Callable[[], dict[tuple[str, str], int]], bus: Callable[[], BusStats | None]) -> None:
        self._outbox = outbox
        self._bus = bus

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tradewire_notifier_outbox",
            "Messages in the outbox by destination and status",
            labels=["destination", "status"],
        )
        for (destination, status), count in sorted(self._outbox().items()):
            family.add_metric([destination, status], count)
        yield family
        stats = self._bus()
        if stats is not None:
            for name in ("garbage", "forged", "stale", "duplicates", "reconnects", "resyncs"):
                yield CounterMetricFamily(f"tradewire_notifier_bus_{name}", f"Bus {name}", value=getattr(stats, name))


class NotifierMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("tradewire_notifier_events", "Bus events read, by type", ["type"], registry=r)
        self.queued = Counter(
            "tradewire_notifier_queued", "Messages queued per destination (new ones only)", ["destination"], registry=r
        )
        self.sends = Counter(
            "tradewire_notifier_sends",
            "Sends by destination, shape (single or summary) and outcome (ok, retry, dead)",
            ["destination", "shape", "outcome"],
            registry=r,
        )
        self.delivered = Counter(
            "tradewire_notifier_delivered", "Notices delivered (a summary counts each)", ["destination"], registry=r
        )
        self.dead_lettered = Counter(
            "tradewire_notifier_dead_lettered", "Notices given up on", ["destination"], registry=r
        )
        self.send_seconds = Histogram(
            "tradewire_notifier_send_seconds", "Time one send took", ["destination"], registry=r
        )
        self.commands = Counter(
            "tradewire_notifier_telegram_commands",
            "Telegram commands by destination and command (or refused, unknown, malformed)",
            ["destination", "command"],
            registry=r,
        )
        self.skipped = Counter("tradewire_notifier_skipped", "Bus items skipped, by reason", ["reason"], registry=r)
        self.connected = Gauge("tradewire_notifier_bus_subscribed", "1 while the bus subscription runs", registry=r)

    def watch(self, outbox: Callable[[], dict[tuple[str, str], int]], bus: Callable[[], BusStats | None]) -> None:
        self.registry.register(_StateCollector(outbox, bus))
