"""Bus benchmark: publish -> subscriber latency and throughput, beside raw redis-py PUBLISH/SUBSCRIBE.

Both run in the same session against the same private redis-server, with the subscriber in its own
process (as in production). Latency is wall-clock from just before the publish call to the moment
the subscriber holds the decoded message (a validated Envelope for the bus, json.loads for raw).

    uv run python -m bench.bus [--messages 5000] [--rate 1000]
    uv run python -m bench.bus --cluster     # on a local Redis Cluster beside one Redis (bench/bus_cluster.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from redis.asyncio import Redis

from tradewire_bus import RedisBus
from tradewire_schemas import Envelope, PriceUpdated
from tradewire_testing import RedisServer

BOT = "bench"
RAW_CHANNEL = "bench:raw"


def a_price(iteration: int) -> PriceUpdated:
    return PriceUpdated(
        bot_id=BOT,
        symbol="BTC/USDT",
        last="42000.12",
        bid="42000.11",
        ask="42000.13",
        change_pct="1.25",
        iteration=iteration,
    )


# -- subscriber side (its own process) --------------------------------------------------------------


def subscriber(mode: str, url: str, count: int, pipe: Connection) -> None:
    asyncio.run(_subscribe(mode, url, count, pipe))


async def _subscribe(mode: str, url: str, count: int, pipe: Connection) -> None:
    received: list[tuple[int, int]] = []
    if mode == "raw":
        redis = Redis.from_url(url)
        pubsub = redis.pubsub()
        await pubsub.subscribe(RAW_CHANNEL)
        await pubsub.get_message(timeout=5)
        pipe.send("ready")
        while len(received) < count:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None:
                continue
            payload = json.loads(message["data"])
            received.append((payload["event"]["iteration"], time.time_ns()))
        await pubsub.aclose()
        await redis.aclose()
    else:
        async with RedisBus.connect(url) as bus, bus.subscribe(bots=[BOT]) as events:
            pipe.send("ready")
            async for item in events:
                assert isinstance(item, Envelope)
                received.append((item.event.iteration, time.time_ns()))  # type: ignore[union-attr]
                if len(received) == count:
                    break
    pipe.send(received)


# -- publisher side ---------------------------------------------------------------------------------


async def publish(mode: str, url: str, count: int, rate: float | None) -> list[tuple[int, int]]:
    sent: list[tuple[int, int]] = []
    interval = 1 / rate if rate else 0.0
    start = time.perf_counter()
    if mode == "raw":
        redis = Redis.from_url(url)
        # Same bytes a bus subscriber receives, so the only difference is what the bus does.
        template = Envelope(epoch="e" * 32, offset="1795640000000-0", event=a_price(0))
        for i in range(count):
            payload = template.model_copy(update={"event": a_price(i)}).model_dump_json()
            sent.append((i, time.time_ns()))
            await redis.publish(RAW_CHANNEL, payload)
            await _pace(start, i, interval)
        await redis.aclose()
    else:
        async with RedisBus.connect(url) as bus:
            for i in range(count):
                event = a_price(i)
                sent.append((i, time.time_ns()))
                await bus.publish(event)
                await _pace(start, i, interval)
    return sent


async def _pace(start: float, i: int, interval: float) -> None:
    if interval:
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class Result:
    p50_us: float
    p99_us: float
    max_us: float
    per_second: float


def run_once(mode: str, url: str, count: int, rate: float | None) -> Result:
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=subscriber, args=(mode, url, count, theirs))
    child.start()
    if not ours.poll(30) or ours.recv() != "ready":
        raise RuntimeError(f"{mode} subscriber did not start")
    sent = asyncio.run(publish(mode, url, count, rate))
    if not ours.poll(120):
        raise RuntimeError(f"{mode} subscriber did not receive all {count} messages")
    received = dict(ours.recv())
    child.join(10)
    latencies = sorted((received[i] - t) / 1000 for i, t in sent)
    elapsed_s = (max(received.values()) - sent[0][1]) / 1e9
    return Result(
        p50_us=statistics.median(latencies),
        p99_us=latencies[int(len(latencies) * 0.99) - 1],
        max_us=latencies[-1],
        per_second=count / elapsed_s,
    )


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second in the latency run")
    parser.add_argument("--cluster", action="store_true", help="on a local Redis Cluster beside one Redis instead")
    parser.add_argument("--publishers", type=int, default=4, help="--cluster: publisher processes (one bot each)")
    args = parser.parse_args(argv)
    if args.cluster:
        from bench import bus_cluster  # imports this module: loaded only when asked for

        return bus_cluster.main(args)

    with RedisServer() as server:
        results = {}
        for mode in ("raw", "bus"):  # warm the server once so the first run is not penalised
            run_once(mode, server.url, 500, None)
        for mode in ("raw", "bus"):
            latency = run_once(mode, server.url, args.messages, args.rate)
            throughput = run_once(mode, server.url, args.messages, None)
            results[mode] = (latency, throughput)

    raw_lat, raw_thr = results["raw"]
    bus_lat, bus_thr = results["bus"]
    print(f"\n== bus: publish -> subscriber, {args.messages} messages; latency at {args.rate:.0f}/s ==")
    print(f"{'':24}{'raw redis-py':>14}{'tradewire bus':>15}{'ratio':>9}  target")
    rows = [
        ("latency p50 (us)", raw_lat.p50_us, bus_lat.p50_us, "<= 1.5"),
        ("latency p99 (us)", raw_lat.p99_us, bus_lat.p99_us, ""),
        ("latency max (us)", raw_lat.max_us, bus_lat.max_us, ""),
        ("throughput (msg/s)", raw_thr.per_second, bus_thr.per_second, ">= 0.5"),
    ]
    for name, raw, bus, target in rows:
        print(f"{name:24}{raw:14.0f}{bus:15.0f}{bus / raw:9.2f}  {target}")
    p50_ratio = bus_lat.p50_us / raw_lat.p50_us
    thr_ratio = bus_thr.per_second / raw_thr.per_second
    verdict = "met" if p50_ratio <= 1.5 and thr_ratio >= 0.5 else "MISSED"
    print(f"targets {verdict}: p50 ratio {p50_ratio:.2f} (<= 1.5), throughput ratio {thr_ratio:.2f} (>= 0.5)")
    return {"bus_p50_ratio": p50_ratio, "bus_throughput_ratio": thr_ratio}


if __name__ == "__main__":
    main()
