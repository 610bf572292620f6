"""`./tw up`: the whole of tradewire on one machine, in the foreground, with everyone's logs.

Redis, in this order of preference:
1. `REDIS_URL` when it is set and answers PING;
2. a private `redis-server` (data kept in var/redis) when the binary is on PATH;
3. an embedded fakeredis server, for trying things out only.
honcho runs the processes side by side and stops all of them on Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import sys
from pathlib import Path

import redis
from honcho.manager import Manager
from honcho.printer import Printer

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_PORT = int(os.environ.get("TRADEWIRE_REDIS_PORT", "6379"))


def say(message: str) -> None:
    print(f"tradewire up | {message}", flush=True)


def answers_ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def choose_redis() -> tuple[str, list[str] | None]:
    """The Redis URL everyone uses, and the command that runs it (None when it already runs)."""
    url = os.environ.get("REDIS_URL")
    if url and answers_ping(url):
        say(f"Redis: using REDIS_URL={url}")
        return url, None
    if url:
        say(f"Redis: REDIS_URL={url} does not answer; starting one of our own instead")
    port = DEFAULT_REDIS_PORT if port_is_free(DEFAULT_REDIS_PORT) else free_port()
    url = f"redis://127.0.0.1:{port}/0"
    binary = shutil.which("redis-server")
    if binary:
        data = ROOT / "var" / "redis"
        data.mkdir(parents=True, exist_ok=True)
        say(f"Redis: private redis-server on port {port}, append-only file in {data}")
        return url, [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--save",
            "",
        ]
    say(
        f"Redis: no Redis reachable and no redis-server on PATH: embedded fakeredis on port {port}. "
        "It is for trying things out only: one process, nothing kept on disk."
    )
    return url, [sys.executable, str(Path(__file__).with_name("embedded_redis.py")), "--port", str(port)]


TRADER_METRICS_PORT = "8003"


def service_commands(trader_args: list[str]) -> dict[str, list[str]]:
    wanted = {
        "trader": ("tradewire_trader", ["run", *trader_args]),
        "gateway": ("tradewire_gateway", []),
        "dashboard": ("tradewire_dashboard", ["serve"]),
    }
    commands = {}
    for name, (package, args) in wanted.items():
        if importlib.util.find_spec(f"{package}.__main__") is None:
            say(f"{name}: not built yet ({package}.__main__ is missing); skipped")
            continue
        commands[name] = [sys.executable, "-u", "-m", package, *args]
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trader_args", nargs="*", help="extra flags for the trader, after `--`")
    args = parser.parse_args(argv)

    url, redis_command = choose_redis()
    env = {**os.environ, "REDIS_URL": url, "PYTHONUNBUFFERED": "1"}
    manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty()))
    if redis_command:
        manager.add_process("redis", " ".join(_quote(part) for part in redis_command), env=env, cwd=str(ROOT))
    for name, command in service_commands(args.trader_args).items():
        # The trader's metrics port is off by default (several traders may share a host); `up` runs one.
        process_env = {"TRADER_METRICS_PORT": TRADER_METRICS_PORT, **env} if name == "trader" else env
        manager.add_process(name, " ".join(_quote(part) for part in command), env=process_env, cwd=str(ROOT))
    say("dashboard http://127.0.0.1:8001  gateway http://127.0.0.1:8002/docs  (Ctrl-C stops everything)")
    say(f"metrics: http://127.0.0.1:8002/metrics  :8001/metrics  trader :{TRADER_METRICS_PORT}/metrics")
    say(f"watch the bus: redis-cli -u {url} psubscribe 'tw:events:*'")
    manager.loop()
    # Ctrl-C is how a user stops `up`: that is a clean exit, not a failure.
    return 0 if manager.returncode in (None, 130, -2) else int(manager.returncode)


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)


if __name__ == "__main__":
    raise SystemExit(main())
