"""`python -m bench.e2e.gc_timed OUT MODULE [ARGS]`: run MODULE as `python -m` would, timing every garbage
collection in it (`gc.callbacks`); each SIGUSR1 and the exit write JSON to OUT: per generation the number
of collections, their total and longest pause, and every pause of 0.5 ms or more with its wall-clock start
(time.time_ns, the clock the bench's latencies use). With `BENCH_GC_OFF=1` the collector is disabled for
the module's whole life (`prepare_for_serving` sets thresholds and freezes, it never re-enables it):
the cell without any collection pause, for apportioning the tail. Used by `BENCH_GC=DIR`
(bench/e2e/servers.py)."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.e2e.profiled import run_module_reporting

LONG_NS = 500_000


class Pauses:
    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_ns = [0, 0, 0]
        self.longest_ns = [0, 0, 0]
        self.long: list[tuple[int, int, int]] = []  # (generation, wall start ns, pause ns)
        self._started = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter_ns()
            return
        took = time.perf_counter_ns() - self._started
        generation = info["generation"]
        self.count[generation] += 1
        self.total_ns[generation] += took
        self.longest_ns[generation] = max(self.longest_ns[generation], took)
        if took >= LONG_NS:
            self.long.append((generation, time.time_ns() - took, took))

    def as_json(self) -> dict[str, Any]:
        return {
            "disabled": not gc.isenabled(),
            "threshold": gc.get_threshold(),
            "count": self.count,
            "total_ms": [ns / 1e6 for ns in self.total_ns],
            "longest_ms": [ns / 1e6 for ns in self.longest_ns],
            "long": [{"generation": g, "start_ns": s, "ms": ns / 1e6} for g, s, ns in self.long],
        }


def main() -> None:
    out, module, *rest = sys.argv[1:]
    pauses = Pauses()
    gc.callbacks.append(pauses)
    if os.environ.get("BENCH_GC_OFF"):
        gc.disable()
    run_module_reporting(module, rest, lambda: Path(out).write_text(json.dumps(pauses.as_json())))


if __name__ == "__main__":
    main()
