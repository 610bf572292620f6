"""`./tw bench` (`python -m bench`): run every benchmark in bench/, one after another, each printing its own ratios.

./tw bench            # all of them
./tw bench bus trader # some of them
./tw bench --quick    # shorter runs of the benchmarks that offer them (e2e, drills)
./tw bench bus --cluster  # other options go to the benchmarks named: the bus on a local Redis Cluster
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORDER = ["bus", "trader", "backtest", "gateway", "dashboard", "dashboard_connect", "e2e", "drills"]
QUICK_AWARE = {"e2e", "drills"}  # the scripts that take --quick


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    import os

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def exists(name: str) -> bool:
    """A benchmark is a module (bench/bus.py) or a package (bench/e2e/), run with `python -m bench.<name>`."""
    return (HERE / f"{name}.py").exists() or (HERE / name / "__main__.py").exists()


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    # Other options go to every benchmark named (`./tw bench bus --cluster`).
    passed = [arg for arg in argv if arg.startswith("--") and arg != "--quick"]
    argv = [arg for arg in argv if not arg.startswith("--")]
    chosen = argv or [name for name in ORDER if exists(name)]
    print(f"machine: {machine()}")
    failed = []
    for name in chosen:
        if not exists(name):
            print(f"\n== {name}: no bench/{name}.py or bench/{name}/ ==")
            continue
        started = time.monotonic()
        flags = ["--quick"] if quick and name in QUICK_AWARE else []
        result = subprocess.run([sys.executable, "-m", f"bench.{name}", *flags, *passed], cwd=ROOT, check=False)
        print(f"({name} took {time.monotonic() - started:.0f} s)")
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
