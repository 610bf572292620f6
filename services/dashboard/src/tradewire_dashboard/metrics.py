"""`/metrics`: the process's counters in the Prometheus text format, read from the runtime on each scrape."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from tradewire_dashboard.runtime import DashboardRuntime

GAUGES = {"connections", "clients"}


class RuntimeCollector:
    def __init__(self, runtime: DashboardRuntime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        groups = {
            "dashboard": asdict(self.runtime.stats),
            "hub": asdict(self.runtime.hub.stats),
            "bus": asdict(self.runtime.bus.stats),
        }
        if self.runtime.recorder is not None:
            groups["recorder"] = asdict(self.runtime.recorder.stats)
        for group, values in groups.items():
            for name, value in values.items():
                full = f"tradewire_{group}_{name}"
                family = GaugeMetricFamily if name in GAUGES else CounterMetricFamily
                yield family(full, f"{group} {name.replace('_', ' ')}", value=value)


def metrics(request: HttpRequest) -> HttpResponse:
    runtime: DashboardRuntime | None = getattr(request, "scope", {}).get("tradewire")
    if runtime is None:
        return HttpResponse("no runtime in this process\n", status=503, content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(RuntimeCollector(runtime))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
