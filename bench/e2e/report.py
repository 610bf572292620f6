"""The e2e bench's tables: each cell's figures per design with their ratios to (a) the minimal relay and
(b) the original chain, and memory per client; as text for the terminal and as Markdown for the docs."""

from __future__ import annotations

from bench.e2e.results import Cell, Memory, Result
from bench.e2e.servers import DESIGNS

# -- tables -----------------------------------------------------------------------------------------

COLUMNS = [
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("max_ms", "max ms", "{:.1f}"),
    ("per_second", "deliv/s", "{:.0f}"),
    ("delivered_pct", "deliv %", "{:.2f}"),
    ("cpu_us_per_delivery", "cpu us/msg", "{:.0f}"),
]
RATIOS = ["p50_ms", "p99_ms", "per_second"]


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None or value != value else pattern.format(value)


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or value != value or base != base or base == 0:
        return "-"
    return f"{value / base:.2f}"


def report(results: list[Result], cells: list[Cell]) -> None:
    print("\n== e2e: trader publish -> WebSocket client; ratios are to (a) minimal relay and (b) original chain ==")
    header = (
        f"{'':22}"
        + "".join(f"{title:>11}" for _, title, _ in COLUMNS)
        + "".join(f"{short + '/a':>10}{short + '/b':>10}" for short in ("p50", "p99", "thr"))
    )
    by_key = {(r.design, r.cell): r for r in results}
    for cell in cells:
        print(f"\n-- {cell.name}: {cell.events} events, {cell.events * cell.clients} deliveries expected --")
        print(header)
        a, b = by_key.get(("relay", cell.name)), by_key.get(("chain", cell.name))
        for name, design in DESIGNS.items():
            r = by_key.get((name, cell.name))
            if r is None:
                continue
            line = f"{design.label:22}" + "".join(
                f"{_fmt(getattr(r, k), p):>11}" for k, p in ((k, p) for k, _, p in COLUMNS)
            )
            for key in RATIOS:
                line += f"{_ratio(getattr(r, key), getattr(a, key) if a else None):>10}"
                line += f"{_ratio(getattr(r, key), getattr(b, key) if b else None):>10}"
            if r.duplicates or r.out_of_order:
                line += f"  dup {r.duplicates} out-of-order {r.out_of_order}"
            print(line)


def memory_report(memory: list[Memory], markdown: bool = False) -> str:
    if not memory:
        return ""
    by_name = {m.design: m for m in memory}
    a, b = by_name.get("relay"), by_name.get("chain")
    rows = []
    for m in memory:
        ratio_a = _ratio(m.kb_per_client, a.kb_per_client if a else None)
        ratio_b = _ratio(m.kb_per_client, b.kb_per_client if b else None)
        rows.append(
            (
                DESIGNS[m.design].label,
                f"{m.idle_mib:.1f}",
                f"{m.connected_mib:.1f}",
                f"{m.kb_per_client:.1f}",
                ratio_a,
                ratio_b,
            )
        )
    title = f"memory per connected client: server RSS before and with {memory[0].clients} idle clients"
    if markdown:
        lines = [
            f"**{title}**\n",
            "| design | RSS idle MiB | RSS connected MiB | KB/client | mem/a | mem/b |",
            "|---|---|---|---|---|---|",
        ]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"
    lines = [f"\n-- {title} --", f"{'':22}{'idle MiB':>11}{'with MiB':>11}{'KB/client':>11}{'mem/a':>10}{'mem/b':>10}"]
    return "\n".join(
        lines + [f"{r[0]:22}" + "".join(f"{v:>11}" if i < 3 else f"{v:>10}" for i, v in enumerate(r[1:])) for r in rows]
    )


def markdown(results: list[Result], cells: list[Cell]) -> str:
    """The same tables as `report`, in Markdown (for docs/performance.md)."""
    by_key = {(r.design, r.cell): r for r in results}
    titles = [title for _, title, _ in COLUMNS] + [f"{s}/{b}" for s in ("p50", "p99", "thr") for b in "ab"]
    out = []
    for cell in cells:
        out += [
            f"\n**{cell.name}** ({cell.events} events, {cell.events * cell.clients} deliveries expected)\n",
            "| design | " + " | ".join(titles) + " |",
            "|---" * (len(titles) + 1) + "|",
        ]
        a, b = by_key.get(("relay", cell.name)), by_key.get(("chain", cell.name))
        for name, design in DESIGNS.items():
            r = by_key.get((name, cell.name))
            if r is None:
                continue
            cells_ = [_fmt(getattr(r, k), p) for k, _, p in COLUMNS]
            for key in RATIOS:
                cells_ += [
                    _ratio(getattr(r, key), getattr(a, key) if a else None),
                    _ratio(getattr(r, key), getattr(b, key) if b else None),
                ]
            out.append(f"| {design.label} | " + " | ".join(cells_) + " |")
    return "\n".join(out) + "\n"


def load_line(results: list[Result]) -> str:
    """The busiest other process of any cell, for the record."""
    if not results:
        return "no cell measured"
    worst = max(results, key=lambda r: r.busiest_other)
    return f"busiest other process {worst.busiest_other_name or '-'} {worst.busiest_other:.0%} of a core at most"
