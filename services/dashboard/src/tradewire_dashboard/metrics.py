"""Prometheus text for the dashboard's processes: `/metrics` of `serve` (browsers, Hub, bus) and of
`record` (its Hub, bus and recorder), read from the counters on each scrape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from tradewire_dashboard.runtime import DashboardRuntime

GAUGES = {"connections", "clients"}


class StatsCollector:
    """`tradewire_<group>_<field>` for each dataclass of counters (gauges for the current counts)."""

    def __init__(self, groups: Mapping[str, Any]) -> None:
        self.groups = groups

    def collect(self) -> Iterator[Metric]:
        for group, stats in self.groups.items():
            for name, value in asdict(stats).items():
                full = f"tradewire_{group}_{name}"
                family = GaugeMetricFamily if name in GAUGES else CounterMetricFamily
                yield family(full, f"{group} {name.replace('_', ' ')}", value=value)


def render(groups: Mapping[str, Any]) -> bytes:
    registry = CollectorRegistry()
    registry.register(StatsCollector(groups))
    return generate_latest(registry)


def metrics(request: HttpRequest) -> HttpResponse:
    runtime: DashboardRuntime | None = getattr(request, "scope", {}).get("tradewire")
    if runtime is None:
        return HttpResponse("no runtime in this process\n", status=503, content_type="text/plain")
    groups = {"dashboard": runtime.stats, "hub": runtime.hub.stats, "bus": runtime.bus.stats}
    return HttpResponse(render(groups), content_type=CONTENT_TYPE_LATEST)
