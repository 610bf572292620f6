"""The programs `./tw` runs in the foreground, on this checkout's one Redis (see local_redis.py).

    python deploy/local/launch.py up|trader|gateway|dashboard|recorder|notifier|watch|redis-cli [args...]

`./tw` runs these itself rather than through `just`: just reports any recipe it saw interrupted by
Ctrl-C as failed ("error: interrupted by SIGINT", exit 130) even when the program stopped cleanly,
and Ctrl-C is how these programs are meant to stop. The justfile's recipes of the same names call
this too, so the commands are written here only.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import local_redis  # noqa: E402

PROGRAMS: dict[str, tuple[list[str], str]] = {
    "up": ([str(HERE / "up.py")], "Redis, trader, gateway, dashboard and recorder in the foreground"),
    "trader": (["-m", "tradewire_trader", "run"], "one paper trader"),
    "gateway": (["-m", "tradewire_gateway"], "the gateway API and WebSocket"),
    "dashboard": (["-m", "tradewire_dashboard", "serve"], "the dashboard"),
    "recorder": (["-m", "tradewire_dashboard", "record"], "the dashboard's recorder (trade history)"),
    "notifier": (["-m", "tradewire_notifier"], "the notifier (needs NOTIFIER_DESTINATIONS; docs/notifier.md)"),
    "watch": ([str(HERE / "watch.py")], "the live bus as JSON, one event per line"),
}


def usage() -> str:
    names = [*PROGRAMS, "redis-cli"]
    return f"usage: ./tw {{{','.join(names)}}} [args...]   (each answers --help)"


def command(name: str, args: list[str]) -> list[str]:
    if name == "redis-cli":
        binary = shutil.which("redis-cli")
        if binary is None:
            raise SystemExit("./tw redis-cli needs redis-cli on PATH (Debian: apt-get install redis-tools)")
        if not os.environ.get("REDIS_URL") and local_redis.recorded() is None:
            print(f"./tw redis-cli: ./tw up has recorded no Redis yet; using {local_redis.address()}", file=sys.stderr)
        if args[:1] in (["-h"], ["--help"]):
            print(f"./tw redis-cli [args...]: redis-cli on this checkout's Redis ({local_redis.address()})")
        return [binary, "-u", local_redis.address(), *args]
    if name not in PROGRAMS:
        raise SystemExit(f"unknown program {name!r}; {usage()}")
    return [sys.executable, *PROGRAMS[name][0], *args]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        for name, (_, what) in PROGRAMS.items():
            print(f"  {name:<10} {what}")
        print(f"  {'redis-cli':<10} redis-cli on the same Redis")
        return 0 if argv else 2
    argv_to_run = command(argv[0], argv[1:])
    env = dict(os.environ)
    # An explicit REDIS_URL (or a prefixed one, which each service prefers) wins; else up's record.
    # `up` itself chooses (and records) the address, so it starts from the user's environment.
    if argv[0] != "up" and "REDIS_URL" not in env and (recorded := local_redis.recorded()):
        env["REDIS_URL"] = recorded
    os.execve(argv_to_run[0], argv_to_run, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
