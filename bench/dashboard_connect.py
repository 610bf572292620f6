"""What a connecting control room costs: the time from opening the WebSocket to holding every bot's
`performance` figures, with a long recorded history (issue 20: each connect used to recompute every
bot's figures from all its trades, in the process serving live frames).

The database is filled once (BOTS bots x TRADES trades), then in each round a fresh dashboard `serve`
process is started on it (no recorder: nothing is published meanwhile) and CONNECTS control rooms connect
one after the other, so each round's first connect is the one after a restart. The serve process's CPU
time per connect is read from /proc.

    uv run python -m bench.dashboard_connect [--bots 50] [--trades 2000] [--connects 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from websockets.asyncio.client import connect

from bench.sample import cpu_seconds
from tradewire_bus import RedisBus
from tradewire_schemas import StatusChanged
from tradewire_testing import RedisServer
from tradewire_testing.dashboard_process import DashboardProcess

START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(data_dir: Path, redis_url: str, bots: int, trades: int) -> list[str]:
    """Migrate a fresh database under `data_dir` and record `trades` trades for each of `bots` bots."""
    from django.core.management import call_command

    from tradewire_dashboard.config import Settings
    from tradewire_dashboard.django_config import configure_django

    configure_django(Settings(redis_url=redis_url, data_dir=data_dir))
    from tradewire_dashboard.models import Bot, Trade

    call_command("migrate", interactive=False, verbosity=0)
    names = [f"bot{n:03d}" for n in range(bots)]
    for n, name in enumerate(names):
        bot = Bot.objects.create(bot_id=name)
        rows = []
        for i in range(trades):
            closing = i % 2 == 1
            profit = Decimal((i * 7919 + n) % 2001 - 1000) / 100 if closing else None
            at = START + timedelta(minutes=37 * i)
            rows.append(
                Trade(
                    event_id=uuid.uuid4(),
                    bot=bot,
                    seq=i + 1,
                    offset=f"{1_700_000_000_000 + i}-{n}",
                    executed_at=at,
                    market_time=at,
                    mode="paper",
                    side="sell" if closing else "buy",
                    symbol=("BTC/USDT", "ETH/USDT", "SOL/USDT")[i % 3],
                    price=Decimal("100"),
                    amount=Decimal("1"),
                    cost=Decimal("100"),
                    fee=Decimal("0.1"),
                    fee_currency="USDT",
                    order_id=str(i),
                    position=Decimal("0"),
                    realized_profit=profit,
                    realized_profit_pct=None if profit is None else profit / 3,
                )
            )
        Trade.objects.bulk_create(rows, batch_size=1000)
    return names


async def one_connect(dashboard: DashboardProcess, cookie: str, bots: int) -> float:
    """Seconds from opening the socket to holding every bot's `performance`."""
    started = time.perf_counter()
    url = f"ws://127.0.0.1:{dashboard.port}/ws/control/"
    async with connect(url, origin=dashboard.url, additional_headers={"Cookie": cookie}, max_size=None) as ws:  # type: ignore[arg-type]
        seen = 0
        while seen < bots:
            seen += json.loads(await ws.recv())["type"] == "performance"
    return time.perf_counter() - started


async def one_round(dashboard: DashboardProcess, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """A fresh serve process on the filled database; CONNECTS connects, one after the other."""
    with dashboard:
        cookie = await asyncio.to_thread(dashboard.log_in)
        assert dashboard.pid is not None
        seconds, cpu = [], []
        for _ in range(args.connects):
            before = cpu_seconds(dashboard.pid)
            seconds.append(await one_connect(dashboard, cookie, args.bots))
            cpu.append(cpu_seconds(dashboard.pid) - before)
    return seconds, cpu


def span(values: list[float]) -> str:
    return f"{min(values) * 1000:.0f}-{max(values) * 1000:.0f} ms (median {statistics.median(values) * 1000:.0f})"


async def announce(redis_url: str, names: list[str]) -> None:
    async with RedisBus.connect(redis_url) as bus:
        for name in names:
            await bus.publish(StatusChanged(bot_id=name, status="running", reason="bench", actor="bench"))


async def rounds(dashboard: DashboardProcess, args: argparse.Namespace) -> list[tuple[list[float], list[float]]]:
    found = []
    for n in range(args.rounds):
        seconds, cpu = await one_round(dashboard, args)
        found.append((seconds, cpu))
        print(f"round {n + 1}: connects {', '.join(f'{s * 1000:.0f}' for s in seconds)} ms", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bots", type=int, default=50)
    parser.add_argument("--trades", type=int, default=2000, help="recorded trades per bot")
    parser.add_argument("--connects", type=int, default=10, help="control rooms connecting one after the other")
    parser.add_argument("--rounds", type=int, default=3, help="fresh serve processes")
    args = parser.parse_args()
    with RedisServer() as redis, tempfile.TemporaryDirectory(prefix="tradewire-connect-") as folder:
        names = fill(Path(folder), redis.url, args.bots, args.trades)  # Django's ORM: before the event loop
        asyncio.run(announce(redis.url, names))
        found = asyncio.run(rounds(DashboardProcess(redis.url, Path(folder), record=False), args))
    first, first_cpu = [s[0] for s, _ in found], [c[0] for _, c in found]
    later, later_cpu = [x for s, _ in found for x in s[1:]], [x for _, c in found for x in c[1:]]
    load = os.getloadavg()[0]
    print(f"dashboard connect, {args.bots} bots x {args.trades} trades, {args.rounds} rounds (load avg {load:.1f}):")
    print(f"  first connect after start  {span(first)}; serve CPU {span(first_cpu)}")
    print(f"  later connects             {span(later)}; serve CPU {span(later_cpu)}")


if __name__ == "__main__":
    main()
