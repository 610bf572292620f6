"""Issue 20's targets, judged on the worst of several rounds (`python -m bench.e2e --targets`).

A round measures every design on the target cells, one design after another, the order rotated from
round to round so no design always runs first (on a fresh server) or last. Each ratio is taken within
one round (both sides measured minutes apart at most), then summarised over the rounds as its median
and its worst; a target is met only when its worst round meets it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.e2e.load import QUIET_LIMIT
from bench.e2e.results import Cell, Memory, Result

ONE, FAN = Cell(1, 1000, 3), Cell(1000, 20, 10)
ROUNDS = 5
SERVERS = ("gateway", "dashboard")
DESIGNS = ["gateway", "dashboard", "relay", "chain"]
PLAN = {"chain": [ONE]}  # the chain is a target only at one client; 1000 through it take minutes


@dataclass
class Round:
    results: dict[tuple[str, str], Result]  # (design, cell name) -> its result in this round
    memory: dict[str, Memory]

    def get(self, design: str, cell: Cell) -> Result | None:
        return self.results.get((design, cell.name))


Measure = Callable[[Round], float | None]


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    measure: Measure
    limit: float
    unit: str = ""  # "x" for a ratio, else the figure's unit

    def shown(self, value: float) -> str:
        return f"x{value:.2f}" if self.unit == "x" else f"{value:.2f}{self.unit}"


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or top != top or bottom != bottom or bottom <= 0:
        return None
    return top / bottom


def _field(design: str, cell: Cell, name: str) -> Measure:
    def measure(round_: Round) -> float | None:
        result = round_.get(design, cell)
        return None if result is None else float(getattr(result, name))

    return measure


def _versus(design: str, base: str, cell: Cell, name: str) -> Measure:
    return lambda r: _ratio(_field(design, cell, name)(r), _field(base, cell, name)(r))


def _inexact(design: str) -> Measure:
    """0 when every event of every cell reached every client once and in order, else the shortfall."""

    def measure(round_: Round) -> float | None:
        found = [r for (name, _), r in round_.results.items() if name == design]
        if not found:
            return None
        return float(sum((100 - r.delivered_pct) + r.duplicates + r.out_of_order for r in found))

    return measure


def _memory(design: str) -> Measure:
    return lambda r: r.memory[design].kb_per_client if design in r.memory else None


def targets() -> list[Target]:
    found = []
    for name in SERVERS:
        found += [
            Target(f"{name}_exact", f"{name}: every event to every client once, in order", _inexact(name), 0.0),
            Target(
                f"{name}_fan_p99_vs_relay",
                f"{name}, {FAN.name}: p99 / (a)'s <= 1.5",
                _versus(name, "relay", FAN, "p99_ms"),
                1.5,
                "x",
            ),
            Target(f"{name}_one_p50", f"{name}, {ONE.name}: p50 <= 1 ms", _field(name, ONE, "p50_ms"), 1.0, " ms"),
            Target(f"{name}_one_p99", f"{name}, {ONE.name}: p99 <= 5 ms", _field(name, ONE, "p99_ms"), 5.0, " ms"),
            Target(
                f"{name}_one_vs_chain",
                f"{name}, {ONE.name}: p99 / (b)'s <= 1",
                _versus(name, "chain", ONE, "p99_ms"),
                1.0,
                "x",
            ),
            Target(
                f"{name}_fan_cpu_vs_relay",
                f"{name}, {FAN.name}: CPU per delivery / (a)'s <= 1.5",
                _versus(name, "relay", FAN, "cpu_us_per_delivery"),
                1.5,
                "x",
            ),
            Target(f"{name}_memory", f"{name}: memory per idle client <= 20 KB", _memory(name), 20.0, " KB"),
        ]
    return found


@dataclass
class Verdict:
    target: Target
    values: list[float]  # one per round that measured it

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def worst(self) -> float:
        return max(self.values)

    @property
    def met(self) -> bool:
        return bool(self.values) and self.worst <= self.target.limit


def judge(rounds: Sequence[Round]) -> list[Verdict]:
    verdicts = []
    for target in targets():
        values = [v for v in (target.measure(r) for r in rounds) if v is not None]
        if values:
            verdicts.append(Verdict(target, values))
    return verdicts


def verdict_lines(verdicts: Sequence[Verdict], rounds: int) -> list[str]:
    lines = [f"targets (met only if the worst of {rounds} rounds is; median, worst, then every round):"]
    for v in verdicts:
        t = v.target
        each = ", ".join(t.shown(x) for x in v.values)
        lines.append(
            f"  {'met   ' if v.met else 'MISSED'} {t.text}: median {t.shown(v.median)}, worst {t.shown(v.worst)}"
            f" ({each})"
        )
    return lines


def rotated(names: Sequence[str], round_number: int) -> list[str]:
    """The designs in this round's order: each round starts one further along."""
    shift = round_number % len(names)
    return [*names[shift:], *names[:shift]]


def rounds_of(results: Sequence[Result], memory: Sequence[Memory], count: int) -> list[Round]:
    return [
        Round(
            {(r.design, r.cell): r for r in results if r.round == n},
            {m.design: m for m in memory if m.round == n},
        )
        for n in range(count)
    ]


def disturbed(results: Sequence[Result]) -> list[Result]:
    """The cells during which another process used more than `QUIET_LIMIT` of a core."""
    return [r for r in results if r.busiest_other > QUIET_LIMIT]


def refusal(results: Sequence[Result]) -> str | None:
    """Why these figures must not be judged, or None when the machine was quiet throughout."""
    noisy = disturbed(results)
    if not noisy:
        return None
    worst = max(noisy, key=lambda r: r.busiest_other)
    return (
        f"REFUSED: during {len(noisy)} of {len(results)} cells another process used more than"
        f" {QUIET_LIMIT:.0%} of a core (worst: {worst.busiest_other_name} {worst.busiest_other:.0%} during"
        f" {worst.design}, {worst.cell}, round {worst.round + 1}); no target is judged on a shared machine"
    )


def summary(results: Sequence[Result], memory: Sequence[Memory]) -> str:
    """Median and worst over the rounds of each design's figures (Markdown)."""
    lines = [
        "| design | cell | rounds | p50 ms median (worst) | p99 ms median (worst) | cpu us/msg median (worst)"
        " | deliv % (worst) |",
        "|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r.design, r.cell) for r in results}, key=lambda k: (k[1], k[0]))
    for design, cell in keys:
        mine = [r for r in results if (r.design, r.cell) == (design, cell)]

        def spread(name: str, mine: list[Result] = mine) -> str:
            values = [getattr(r, name) for r in mine]
            return f"{statistics.median(values):.2f} ({max(values):.2f})"

        lowest = min(r.delivered_pct for r in mine)
        lines.append(
            f"| {design} | {cell} | {len(mine)} | {spread('p50_ms')} | {spread('p99_ms')} |"
            f" {spread('cpu_us_per_delivery')} | {lowest:.2f} |"
        )
    if memory:
        lines += ["", "| design | rounds | KB per idle client median (worst) |", "|---|---|---|"]
        for design in sorted({m.design for m in memory}):
            values = [m.kb_per_client for m in memory if m.design == design]
            lines.append(f"| {design} | {len(values)} | {statistics.median(values):.1f} ({max(values):.1f}) |")
    return "\n".join(lines) + "\n"
