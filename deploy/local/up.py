"""`./tw up`: the whole of tradewire on one machine, in the foreground, with everyone's logs.

Redis, in this order of preference:
1. `REDIS_URL` when it is set and answers PING;
2. a private `redis-server` on port 6390 (`TRADEWIRE_REDIS_PORT`), data kept in var/redis, when the
   binary is on PATH;
3. an embedded fakeredis server on that port, for trying things out only.
The chosen address is recorded in var/redis-url, where `./tw watch`, `./tw trader` and `./tw redis-cli`
find it. The trader's metrics port is 8003 unless TRADER_METRICS_PORT says otherwise.

Once every service answers, `up` prints the URLs it serves (from each service's own settings, so
GATEWAY_PORT, DASHBOARD_PORT and TRADER_METRICS_PORT are honoured). Ctrl-C stops the services first,
then Redis, and exits 0.

Arguments after `--` go to the trader: `./tw up -- --strategy rsi_reversion --speed 120`.

`./tw up --cluster` runs a local Redis Cluster instead (three masters, three replicas, ports 6390-6395,
data in var/redis-cluster; local_cluster.py): the same services, given the first node's URL.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shlex
import shutil
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import redis
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, also when loaded by a test

import local_cluster
import local_redis
from supervisor import Printer, Supervisor, stdout_printer

ROOT = local_redis.ROOT
TRADER_METRICS_PORT = "8003"
READY_TIMEOUT_S = 180.0  # a first run on a slow machine migrates the dashboard's database as well
_printer: Printer | None = None


def say(message: str) -> None:
    global _printer
    _printer = _printer or stdout_printer()
    _printer.line("up", message)


def answers_ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def is_our_leftover(url: str, data: Path) -> bool:
    """A redis-server an earlier `up` left running (killed before it could stop it) keeps our data dir."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, decode_responses=True)
        return bool(client.config_get("dir").get("dir") == str(data))
    except (redis.RedisError, OSError):
        return False


def choose_redis() -> tuple[str, list[str] | None]:
    """The Redis URL everyone uses, and the command that runs it (None when it already runs)."""
    url = os.environ.get("REDIS_URL")
    if url and answers_ping(url):
        say(f"Redis: using REDIS_URL={url}")
        return url, None
    if url:
        say(f"Redis: REDIS_URL={url} does not answer; starting one of our own instead")
    port = local_redis.private_port()
    url = f"redis://127.0.0.1:{port}/0"
    data = local_redis.var_dir() / "redis"
    if not port_is_free(port):
        if is_our_leftover(url, data):
            say(f"Redis: the private redis-server an earlier `up` left on port {port} is still running; using it")
            return url, None
        raise SystemExit(
            f"tradewire up: port {port}, where up runs its private Redis, is taken by another program.\n"
            "Stop that program, or pick another port (TRADEWIRE_REDIS_PORT=6391 ./tw up), "
            "or use a Redis that already runs (REDIS_URL=redis://host:port/0 ./tw up)."
        )
    binary = shutil.which("redis-server")
    if binary:
        data.mkdir(parents=True, exist_ok=True)
        say(f"Redis: private redis-server on port {port}, append-only file in {data}")
        options = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--appendonly", "yes"]
        return url, [binary, *options, "--save", ""]
    say(
        f"Redis: no Redis reachable and no redis-server on PATH: embedded fakeredis on port {port}. "
        "It is for trying things out only: one process, nothing kept on disk."
    )
    return url, [sys.executable, str(Path(__file__).with_name("embedded_redis.py")), "--port", str(port)]


def notifier_configured() -> bool:
    return os.environ.get("NOTIFIER_DESTINATIONS", "").strip() not in ("", "[]")


def service_commands(trader_args: list[str]) -> dict[str, list[str]]:
    wanted = {
        "trader": ("tradewire_trader", ["run", *trader_args]),
        "gateway": ("tradewire_gateway", []),
        "dashboard": ("tradewire_dashboard", ["serve"]),
        "recorder": ("tradewire_dashboard", ["record"]),
    }
    # The notifier sends messages to places outside this machine: only when someone configured where.
    if notifier_configured():
        wanted["notifier"] = ("tradewire_notifier", [])
    else:
        say("notifier: off; to turn it on, set NOTIFIER_DESTINATIONS (a JSON list, docs/notifier.md)")
    commands = {}
    for name, (package, args) in wanted.items():
        if importlib.util.find_spec(f"{package}.__main__") is None:
            say(f"{name}: not built yet ({package}.__main__ is missing); skipped")
            continue
        commands[name] = [sys.executable, "-u", "-m", package, *args]
    return commands


@dataclass(frozen=True)
class Endpoint:
    label: str
    url: str


def _shown(host: str) -> str:
    # Bound to every interface, a service is still opened through this machine.
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def endpoints(services: set[str], trader_args: list[str]) -> list[Endpoint]:
    """What each service will serve, read from its own settings with the environment it will get."""
    found: list[Endpoint] = []
    if "dashboard" in services:
        from tradewire_dashboard.config import Settings as DashboardSettings

        dashboard = DashboardSettings()
        base = f"http://{_shown(dashboard.host)}:{dashboard.port}"
        found += [Endpoint("dashboard", f"{base}/"), Endpoint("dashboard metrics", f"{base}/metrics")]
    if "recorder" in services:
        from tradewire_dashboard.config import Settings as DashboardSettings

        recorder = DashboardSettings()
        found.append(Endpoint("recorder metrics", f"http://{_shown(recorder.host)}:{recorder.recorder_port}/metrics"))
    if "gateway" in services:
        from tradewire_gateway.settings import Settings as GatewaySettings

        gateway = GatewaySettings()
        base = f"http://{_shown(gateway.host)}:{gateway.port}"
        found += [Endpoint("gateway API docs", f"{base}/docs"), Endpoint("gateway metrics", f"{base}/metrics")]
    if "notifier" in services:
        from tradewire_notifier.settings import Settings as NotifierSettings

        notifier = NotifierSettings()
        if notifier.metrics_port:
            found.append(
                Endpoint("notifier metrics", f"http://{_shown(notifier.metrics_host)}:{notifier.metrics_port}/metrics")
            )
    if "trader" in services:
        from tradewire_trader.__main__ import parser as trader_parser
        from tradewire_trader.__main__ import settings_from

        trader = settings_from(trader_parser().parse_args(["run", *trader_args]))
        if trader.metrics_port is not None:
            found.append(
                Endpoint("trader metrics", f"http://{_shown(trader.metrics_host)}:{trader.metrics_port}/metrics")
            )
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as error:  # a login page or a 404 still means the server is up
        return error.code < 500
    except OSError:
        return False


async def announce_when_ready(wanted: list[Endpoint], began: float) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = list(wanted)
    while waiting and time.monotonic() < deadline:
        answered = await asyncio.gather(*(asyncio.to_thread(answers, endpoint.url) for endpoint in waiting))
        waiting = [endpoint for endpoint, ok in zip(waiting, answered, strict=True) if not ok]
        if waiting:
            await asyncio.sleep(0.25)
    if waiting:
        say("not answering yet: " + ", ".join(f"{endpoint.label} {endpoint.url}" for endpoint in waiting))
        return
    say(f"ready in {time.monotonic() - began:.1f} s:")
    for endpoint in wanted:
        say(f"  {endpoint.label:<18} {endpoint.url}")
    say("  watch the bus       ./tw watch        (Redis: ./tw redis-cli; Ctrl-C stops everything)")


async def wait_for_redis(supervisor: Supervisor, url: str, name: str = "redis") -> None:
    deadline = time.monotonic() + 15
    while not await asyncio.to_thread(answers_ping, url):
        if not supervisor.children[name].running or time.monotonic() > deadline:
            raise SystemExit(f"tradewire up: Redis did not come up at {url}; its lines above say why")
        await asyncio.sleep(0.05)


_first_signal_at: float | None = None


def on_signal(stop: asyncio.Event, supervisor: Supervisor) -> None:
    """The first Ctrl-C stops in order; another one, a moment later, kills what is left.

    One Ctrl-C can arrive twice: the terminal signals `uv run` and `up` together, and uv passes its
    copy on to `up`. A person's second Ctrl-C comes well after the first.
    """
    global _first_signal_at
    now = time.monotonic()
    if _first_signal_at is None:
        _first_signal_at = now
        stop.set()
    elif now - _first_signal_at > 1.0:
        supervisor.hurry()


def choose_cluster() -> tuple[str, dict[str, list[str]]]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("tradewire up --cluster: redis-server is not on PATH (Debian: apt-get install redis-server)")
    port = local_redis.private_port()
    wanted = [
        p + offset for p in range(port, port + local_cluster.NODES) for offset in (0, local_cluster.BUS_PORT_OFFSET)
    ]
    taken = [p for p in wanted if not port_is_free(p)]
    if taken:
        raise SystemExit(f"tradewire up --cluster: ports {taken} are taken; pick others (TRADEWIRE_REDIS_PORT=7000)")
    data = local_redis.var_dir() / "redis-cluster"
    say(f"Redis Cluster: six redis-servers on ports {port}-{port + local_cluster.NODES - 1}, data in {data}")
    return f"redis://127.0.0.1:{port}/0", local_cluster.commands(binary, port, data)


async def run(trader_args: list[str], cluster: bool = False) -> int:
    began = time.monotonic()
    redis_commands: dict[str, list[str]] = {}
    if cluster:
        url, redis_commands = choose_cluster()
    else:
        url, redis_command = choose_redis()
        if redis_command:
            redis_commands = {"redis": redis_command}
    path = local_redis.record(url)
    say(f"Redis address recorded in {path} for ./tw watch, trader and redis-cli")
    os.environ.update(REDIS_URL=url, PYTHONUNBUFFERED="1")
    # The trader's metrics port is off by default (several traders may share a host); `up` runs one.
    os.environ.setdefault("TRADER_METRICS_PORT", TRADER_METRICS_PORT)
    # The quick start logs in as the demo user; production (compose, or `serve` alone) has none.
    os.environ.setdefault("DASHBOARD_DEMO", "true")
    # The notifier's cursor and outbox beside Redis's data; its links open this dashboard.
    os.environ.setdefault("NOTIFIER_STATE_FILE", str(local_redis.var_dir() / "notifier.sqlite3"))
    os.environ.setdefault("NOTIFIER_DASHBOARD_URL", f"http://127.0.0.1:{os.environ.get('DASHBOARD_PORT', '8001')}")
    commands = service_commands(trader_args)
    try:
        wanted = endpoints(set(commands), trader_args)
    except ValidationError as error:
        raise SystemExit(f"tradewire up: invalid settings: {error}") from None

    stop = asyncio.Event()
    supervisor = Supervisor(stdout_printer())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, stop, supervisor)
    failed = None
    try:
        for name, command in redis_commands.items():
            await supervisor.start(name, command, os.environ, str(ROOT))
            await wait_for_redis(supervisor, f"redis://127.0.0.1:{command[command.index('--port') + 1]}/0", name)
        if cluster:
            await asyncio.to_thread(local_cluster.form, int(url.rsplit(":", 1)[1].split("/")[0]), say)
        for name, command in commands.items():
            await supervisor.start(name, command, os.environ, str(ROOT))
        ready = asyncio.create_task(announce_when_ready(wanted, began))
        failed = await supervisor.first_exit(stop)
        ready.cancel()
        if failed is not None:
            say(f"{failed.name} ended by itself (exit {failed.process.returncode}); stopping the others")
        else:
            say("stopping: services first, then Redis (Ctrl-C again kills them)")
    finally:
        codes = await supervisor.stop(commands)
        codes |= await supervisor.stop(list(redis_commands))
    return 1 if failed is not None or any(codes.values()) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./tw up", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cluster", action="store_true", help="a local Redis Cluster (3 masters, 3 replicas)")
    parser.add_argument("trader_args", nargs="*", metavar="-- TRADER_FLAG", help="flags for the trader, after `--`")
    args = parser.parse_args(argv)
    given = [arg for arg in (argv if argv is not None else sys.argv[1:]) if arg != "--cluster"]
    if args.trader_args and given[:1] != ["--"]:
        parser.error(f"unknown arguments {shlex.join(args.trader_args)}; trader flags go after `--`")
    return asyncio.run(run(args.trader_args, cluster=args.cluster))


if __name__ == "__main__":
    raise SystemExit(main())
