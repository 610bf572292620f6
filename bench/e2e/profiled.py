"""`python -m bench.e2e.profiled OUT MODULE [ARGS]`: run MODULE as `python -m` would, under cProfile; each
SIGUSR1 writes the statistics so far to OUT (a server stopped by SIGTERM may never return to write them).
Used by `BENCH_PROFILE=DIR` (bench/e2e/servers.py); py-spy cannot attach on this machine."""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from types import FrameType


def main() -> None:
    out, module, *rest = sys.argv[1:]
    profile = cProfile.Profile()

    def dump(signum: int, frame: FrameType | None) -> None:
        profile.disable()
        profile.dump_stats(out)
        profile.enable()

    signal.signal(signal.SIGUSR1, dump)
    sys.argv = [module, *rest]
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
