"""Trader benchmark: replay throughput in candles/s through strategy, paper exchange, state file and publisher.

The same OHLCV CSV (generated, as fast as possible) runs twice: once with the in-memory publisher and
once with the real Redis bus on a private redis-server. Both include CSV parsing, the SQLite state
file (one transaction per fill; confirmations ride on the next) and draining the outbox to the end.

    uv run python -m bench.trader [--candles 100000] [--strategy sma_crossover] [--no-exits]

Exits are on by default (stoploss, trailing stop, take-profit, ROI table, time limit: each candle with a
position checks them all), as a real bot runs. The indicators' share is measured on its own: the strategy's
vectorised `indicators` over the whole file, as the engine computes them once before the first candle.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tradewire_bus import InMemoryPublisher, RedisBus
from tradewire_testing import RedisServer
from tradewire_trader.__main__ import write_sample
from tradewire_trader.components import build_paper_trader, build_strategy
from tradewire_trader.market_data import CsvReplay, Pacer, read_ohlcv_frame
from tradewire_trader.outbox import SeqPublisher
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies.feed import IndicatorFeed


@dataclass
class Result:
    name: str
    candles: int
    seconds: float
    cpu_seconds: float  # this process only (not redis-server): steadier than wall time on a busy machine
    trades: int
    published: int
    fingerprint: str = ""

    @property
    def rate(self) -> float:
        return self.candles / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.candles / self.cpu_seconds


EXITS: dict[str, object] = {
    "stoploss_pct": Decimal(2),
    "trailing_stop_pct": Decimal("1.5"),
    "take_profit_pct": Decimal(3),
    "roi": {0: Decimal(4), 60: Decimal(1)},
    "time_limit_minutes": 600,
}


async def replay(name: str, csv: Path, folder: Path, publisher: SeqPublisher, strategy: str, exits: bool) -> Result:
    settings = Settings(
        bot_id="bench",
        state_file=folder / f"{name}.sqlite3",
        speed=0,
        strategy=strategy,
        starting_quote=Decimal("1000000"),  # enough that no buy is ever refused
        **(EXITS if exits else {}),  # type: ignore[arg-type]
    )
    store = StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, publisher)
    trader.status = "running"
    drainer = asyncio.create_task(trader.outbox.run())
    started, cpu_started = time.perf_counter(), time.process_time()
    await trader.run(CsvReplay(csv, Pacer(0, 60)))
    trader.publish_stats()
    assert await trader.outbox.flush(60), "outbox did not drain"
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    drainer.cancel()
    digest = fingerprint(publisher, trader.snapshot()) if isinstance(publisher, InMemoryPublisher) else ""
    store.close()
    return Result(name, trader.iteration, seconds, cpu_seconds, trader.book.trades, trader.outbox.published, digest)


def fingerprint(publisher: InMemoryPublisher, state: dict[str, object]) -> str:
    """What the replay did, ids, wall times and seqs aside: every trade event and the final state. A speed
    change must leave it as it was (run the bench of the code before it on the same data: the same digest)."""
    volatile = {"event_id", "ts", "seq"}
    trades = [e.model_dump(mode="json", exclude=volatile) for e in publisher.events() if e.type == "trade_executed"]
    text = json.dumps({"trades": trades, "state": state}, sort_keys=True)
    text = re.sub(r'"client_order_id": "[0-9a-f]+"', "", text)  # a paper order's is random
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def indicator_seconds(csv: Path, strategy: str) -> float:
    """The strategy's indicators over the whole file, as the engine computes them once (best of 3)."""
    frame = read_ohlcv_frame(csv)
    assert frame is not None
    built = build_strategy(Settings(strategy=strategy), {})
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        IndicatorFeed(built, frame.copy())
        timings.append(time.perf_counter() - started)
    return min(timings)


async def main(candles: int, strategy: str, exits: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="tradewire-bench-") as tmp:
        folder = Path(tmp)
        csv = folder / "candles.csv"
        write_sample(csv, candles, seed=7)
        memory = await replay("in-memory", csv, folder, InMemoryPublisher(), strategy, exits)
        with RedisServer() as server:
            async with RedisBus.connect(server.url) as bus:
                on_redis = await replay("redis-bus", csv, folder, bus.publisher, strategy, exits)
        indicators = indicator_seconds(csv, strategy)
    print(
        f"trader replay, {candles} candles, {strategy}, exits {'on' if exits else 'off'}, SQLite state, "
        "speed 0 (as fast as possible)"
    )
    print(f"{'':24}{'in-memory':>14}{'redis bus':>14}")
    print(f"{'candles/s':24}{memory.rate:>14,.0f}{on_redis.rate:>14,.0f}")
    print(f"{'candles per CPU second':24}{memory.cpu_rate:>14,.0f}{on_redis.cpu_rate:>14,.0f}")
    print(f"{'seconds':24}{memory.seconds:>14.2f}{on_redis.seconds:>14.2f}")
    print(f"{'trades':24}{memory.trades:>14}{on_redis.trades:>14}")
    # Each trade costs ~35 candles' worth of work (a durable SQLite transaction, events): the rate
    # depends on how often the strategy trades on this data as much as on the engine.
    per_1000 = [result.trades * 1000 / candles for result in (memory, on_redis)]
    print(f"{'trades per 1,000 candles':24}{per_1000[0]:>14.1f}{per_1000[1]:>14.1f}")
    print(f"{'events published':24}{memory.published:>14}{on_redis.published:>14}")
    print(f"trades and final state, in memory: fingerprint {memory.fingerprint}")
    print(f"redis / in-memory throughput ratio: {on_redis.rate / memory.rate:.2f}")
    print(
        f"indicators (vectorised, once per run): {indicators * 1000:.0f} ms = "
        f"{indicators / memory.seconds:.1%} of the in-memory run"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"target >= 50,000 candles/s in memory: {'met' if memory.rate >= 50_000 else 'MISSED'}")
    # On a shared machine wall time measures the neighbours; CPU time of this process is the steadier figure.
    print(f"  in candles per CPU second of this process: {'met' if memory.cpu_rate >= 50_000 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candles", type=int, default=100_000)
    parser.add_argument("--strategy", default="sma_crossover", help="built-in name, module:Class or file.py:Class")
    parser.add_argument("--no-exits", dest="exits", action="store_false", help="no stoploss, ROI, ... (on by default)")
    args = parser.parse_args()
    asyncio.run(main(args.candles, args.strategy, args.exits))
