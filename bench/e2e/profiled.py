"""`python -m bench.e2e.profiled OUT MODULE [ARGS]`: run MODULE as `python -m` would, under cProfile; each
SIGUSR1 writes the statistics so far to OUT (a server stopped by SIGTERM may never return to write them).
Used by `BENCH_PROFILE=DIR` (bench/e2e/servers.py, the gateway and the dashboard's serving process)."""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from collections.abc import Callable
from types import FrameType


def run_module_reporting(module: str, args: list[str], report: Callable[[], None]) -> None:
    """Run `module` as `python -m` would; `report()` on each SIGUSR1 and once more when it returns."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        report()

    signal.signal(signal.SIGUSR1, on_signal)
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        report()


def main() -> None:
    out, module, *rest = sys.argv[1:]
    profile = cProfile.Profile()

    def dump() -> None:
        profile.disable()
        profile.dump_stats(out)
        profile.enable()

    profile.enable()
    try:
        run_module_reporting(module, rest, dump)
    finally:
        profile.disable()


if __name__ == "__main__":
    main()
