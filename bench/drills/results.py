"""What a drill found (`DrillResult`), and the table of every drill's result: printed, and as Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.drills.watchers import Check


@dataclass
class DrillResult:
    name: str
    fault: str
    sent: int = 0
    watchers: int = 0
    delivered: int = 0
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    resyncs: int = 0
    recovery_s: float | None = None
    verdict: str = "failed"
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def report(results: list[DrillResult]) -> None:
    print("\n== drills: every recorded trade to every client, exactly once, in order ==")
    print(
        f"{'drill':26}{'trades':>7}{'clients':>8}{'delivered':>14}{'lost':>6}{'dup':>5}{'order':>6}"
        f"{'resync':>7}{'recovery':>10}  verdict"
    )
    for r in results:
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.2f} s"
        print(
            f"{r.name:26}{r.sent:>7}{r.watchers:>8}{f'{r.delivered}/{r.expected}':>14}{r.lost:>6}"
            f"{r.duplicated:>5}{r.out_of_order:>6}{r.resyncs:>7}{recovery:>10}  {r.verdict}"
        )
        for note in r.notes:
            print(f"{'':28}{note}")


def markdown(results: list[DrillResult]) -> str:
    lines = [
        "| drill | fault | trades sent | clients | delivered / expected | lost | duplicated | out of order "
        "| resyncs | recovery | verdict |",
        "|---" * 11 + "|",
    ]
    for r in results:
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.2f} s"
        lines.append(
            f"| {r.name} | {r.fault} | {r.sent} | {r.watchers} | {r.delivered} / {r.expected} | {r.lost} "
            f"| {r.duplicated} | {r.out_of_order} | {r.resyncs} | {recovery} | {r.verdict} |"
        )
    lines.append("")
    for r in results:
        if r.notes:
            lines.append(f"- **{r.name}**: " + "; ".join(r.notes))
    return "\n".join(lines) + "\n"
