"""What the end-to-end benchmark measures: its cells, and one design's result in a cell."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    clients: int
    rate: float
    seconds: float

    @property
    def events(self) -> int:
        return max(1, round(self.rate * self.seconds))

    @property
    def name(self) -> str:
        return f"{self.clients} client{'s' if self.clients > 1 else ''} @ {self.rate:g}/s"

    @classmethod
    def parse(cls, text: str) -> Cell:
        clients, rate, seconds = text.split("x")
        return cls(int(clients), float(rate), float(seconds))


# Deliveries per cell stay around 1e5 at most: the 2-core machine must also run the clients.
FULL = [
    Cell(1, 100, 2),
    Cell(1, 1000, 2),
    Cell(100, 100, 2),
    Cell(100, 1000, 0.5),
    Cell(1000, 20, 10),  # a p99 over 200 events: over 80 it was the worst one or two fan-outs
    Cell(1000, 100, 0.5),
    Cell(1000, 1000, 0.05),
]
QUICK = [Cell(1, 100, 1), Cell(1, 1000, 2), Cell(100, 1000, 0.5), Cell(1000, 20, 3)]


@dataclass
class Result:
    design: str
    cell: str
    clients: int
    rate: float
    events: int
    connected: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    per_second: float
    delivered_pct: float
    duplicates: int
    out_of_order: int
    missing: int
    cpu_us_per_delivery: float
    round: int = 0
    busiest_other: float = 0.0  # the busiest process not of this benchmark, in cores, during the cell
    busiest_other_name: str = ""


@dataclass
class Memory:
    design: str
    clients: int
    idle_mib: float
    connected_mib: float
    kb_per_client: float
    round: int = 0
