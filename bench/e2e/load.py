"""The machine's load while a benchmark measures: who else used the CPU, read from /proc.

A figure measured while another program used the cores says little about either design. `LoadWatch`
samples every process's CPU time (utime + stime in /proc/<pid>/stat) at the start and the end of a
cell; the processes of this benchmark (this process and its descendants: servers, clients, Redis) are
ours, every other one is a stranger. A stranger that used more than `QUIET_LIMIT` of one core over
the cell makes the cell disturbed, and the benchmark then refuses to report met or missed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

QUIET_LIMIT = 0.10  # of one core, for any one other process
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    name: str
    cpu_s: float


def processes() -> dict[int, Process]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (name with spaces) state ppid ...": the name ends at the last ')'.
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(entry.name)] = Process(
            int(entry.name), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / TICKS
        )
    return found


def descendants(root: int, table: dict[int, Process]) -> set[int]:
    ours = {root}
    grew = True
    while grew:
        grew = False
        for process in table.values():
            if process.parent in ours and process.pid not in ours:
                ours.add(process.pid)
                grew = True
    return ours


@dataclass
class Load:
    """What the machine did besides the benchmark during one measured stretch."""

    seconds: float
    loadavg_1m: float
    strangers: list[tuple[str, int, float]] = field(default_factory=list)  # (name, pid, share of a core), busiest first

    @property
    def busiest(self) -> float:
        return self.strangers[0][2] if self.strangers else 0.0

    @property
    def quiet(self) -> bool:
        return self.busiest <= QUIET_LIMIT

    def describe(self) -> str:
        if not self.strangers:
            return f"quiet (load average {self.loadavg_1m:.2f})"
        top = ", ".join(f"{name}[{pid}] {share:.0%}" for name, pid, share in self.strangers[:3])
        return f"{'quiet' if self.quiet else 'NOT QUIET'}: busiest other processes {top} of a core"


class LoadWatch:
    """`with LoadWatch() as watch: ...` then `watch.load`: what other processes used meanwhile."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self.load: Load | None = None

    def __enter__(self) -> LoadWatch:
        self._began = time.monotonic()
        self._before = processes()
        return self

    def __exit__(self, *exc: object) -> None:
        after = processes()
        seconds = max(1e-6, time.monotonic() - self._began)
        # Ours is judged on the later table, which holds the clients and servers started meanwhile.
        ours = descendants(self.root, after) | descendants(self.root, self._before)
        # Kernel threads (children of kthreadd, pid 2) do this benchmark's own network work too: not judged.
        kernel = descendants(2, after)
        strangers = []
        for pid, now in after.items():
            before = self._before.get(pid)
            if pid in ours or pid in kernel or (before is not None and before.name != now.name):
                continue
            share = (now.cpu_s - (before.cpu_s if before else 0.0)) / seconds  # new: all of it was meanwhile
            if share > 0.01:
                strangers.append((now.name, pid, share))
        strangers.sort(key=lambda s: -s[2])
        self.load = Load(seconds, os.getloadavg()[0], strangers)
