"""Gateway benchmark: WebSocket fan-out against the minimal relay baseline, and the command round trip.

- Fan-out: N clients on the gateway's /ws (types=trade_executed), trades published on the bus at a steady
  rate; each delivery's latency runs from just before the publish call to the client holding the
  decoded frame. The same run against bench/baselines/minimal_relay.py (one redis-py subscriber,
  `websockets.broadcast`, no validation, auth, queues or resume) gives the ratios. Each server is its
  own process; its CPU time per delivered frame is read from /proc.
- Commands: POST /api/v1/bots/{bot}/commands answered by an in-bench responder on the bus, sequentially,
  beside the same command sent straight through `RedisBus.send_command` (the gateway's overhead).

    uv run python -m bench.gateway [--clients 50] [--trades 300] [--rate 100] [--commands 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from bench.e2e.servers import port_open
from bench.sample import cpu_seconds, percentile, trade
from tradewire_bus import RedisBus, Topics
from tradewire_schemas import RequestStatus, StatusChanged
from tradewire_testing import RedisServer, answers_ok, eventually_sync, free_port
from tradewire_testing.responder import responder

BOT = "bench"
TOKEN = "bench-token-0123456789abcdef"
HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def server(kind: str, redis_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    if kind == "gateway":
        env |= {
            "GATEWAY_PORT": str(port),
            "REDIS_URL": redis_url,
            "GATEWAY_LOG_LEVEL": "warning",
            "GATEWAY_COMMANDS_PER_MINUTE": "1000000",
            "GATEWAY_COMMAND_BURST": "1000000",
            "GATEWAY_TOKENS": json.dumps([{"name": "bench", "token": TOKEN, "scopes": ["read", "control"]}]),
        }
        args = [sys.executable, "-m", "tradewire_gateway"]
    else:
        args = [
            sys.executable,
            str(HERE / "baselines" / "minimal_relay.py"),
            redis_url,
            str(port),
            Topics().bot_events(BOT),
        ]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Polling a process we just started: the gateway says when it is ready, the relay only listens.
        ready = f"http://127.0.0.1:{port}/readyz"
        started = lambda: answers_ok(ready) if kind == "gateway" else port_open(port)  # noqa: E731
        eventually_sync(started, timeout=20, interval=0.05, what=f"{kind} started")
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=20)


async def fan_out(
    kind: str, process: subprocess.Popen[bytes], port: int, bus: RedisBus, clients: int, trades: int, rate: float
) -> dict[str, float]:
    published: dict[int, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()
    remaining = clients * trades
    ready = asyncio.Semaphore(0)
    if kind == "gateway":
        url, headers = (
            f"ws://127.0.0.1:{port}/ws?bots={BOT}&types=trade_executed&snapshot=false",
            {"Authorization": f"Bearer {TOKEN}"},
        )
    else:
        url, headers = f"ws://127.0.0.1:{port}/", {}

    async def client() -> None:
        nonlocal remaining
        async with connect(url, additional_headers=headers, compression=None, max_size=None) as ws:
            await ws.recv()  # "subscribed" / "hello": registered, nothing after this is missed
            ready.release()
            async for frame in ws:
                arrived = time.perf_counter()
                message = json.loads(frame)
                seq = message["data"]["seq"] if kind == "gateway" else message["event"]["seq"]
                if seq not in published:
                    continue
                latencies.append((arrived - published[seq]) * 1000)
                remaining -= 1
                if remaining == 0:
                    done.set()

    base = await bus.publish(StatusChanged(bot_id=BOT, status="running", reason="bench", actor="bench"))
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    for _ in range(clients):
        await ready.acquire()
    cpu_before, started = cpu_seconds(process.pid), time.perf_counter()
    for n in range(trades):
        published[base.event.seq + 1 + n] = time.perf_counter()
        await bus.publish(trade(n, BOT))
        await asyncio.sleep(1 / rate)  # a steady publishing rate, like a busy trader
    with contextlib.suppress(TimeoutError):  # reported as the share delivered
        await asyncio.wait_for(done.wait(), 30)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "delivered_pct": 100 * len(latencies) / (clients * trades),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "cpu_us_per_delivery": cpu / max(1, len(latencies)) * 1e6,
        "elapsed_s": elapsed,
    }


async def commands(port: int, bus: RedisBus, count: int) -> dict[str, float]:
    direct, via_gateway = [], []
    async with (
        responder(bus, BOT),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        for _ in range(count):
            start = time.perf_counter()
            await bus.send_command(RequestStatus(bot_id=BOT, actor="bench"))
            direct.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            response = await http.post(f"/api/v1/bots/{BOT}/commands", json={"command": "request_status"})
            assert response.status_code == 200, response.text
            via_gateway.append((time.perf_counter() - start) * 1000)
    return {
        "bus_p50_ms": statistics.median(direct),
        "bus_p99_ms": percentile(direct, 0.99),
        "http_p50_ms": statistics.median(via_gateway),
        "http_p99_ms": percentile(via_gateway, 0.99),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--trades", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with RedisServer() as redis:
        async with RedisBus.connect(redis.url) as bus:
            for kind in ("relay", "gateway"):
                with server(kind, redis.url) as (process, port):
                    results[kind] = await fan_out(kind, process, port, bus, args.clients, args.trades, args.rate)
                    if kind == "gateway":
                        cmd = await commands(port, bus, args.commands)
    print(f"== gateway: {args.clients} clients, {args.trades} trades at {args.rate:.0f}/s ==")
    print(f"{'':24}{'minimal relay':>15}{'gateway':>12}{'ratio':>8}")
    for key in ("delivered_pct", "p50_ms", "p99_ms", "max_ms", "cpu_us_per_delivery"):
        relay, gateway = results["relay"][key], results["gateway"][key]
        print(f"{key:24}{relay:>15.2f}{gateway:>12.2f}{gateway / relay if relay else float('nan'):>8.2f}")
    print(f"== commands ({args.commands} sequential request_status, in-bench responder) ==")
    print(f"bus.send_command  p50 {cmd['bus_p50_ms']:.2f} ms  p99 {cmd['bus_p99_ms']:.2f} ms")
    print(
        f"POST via gateway  p50 {cmd['http_p50_ms']:.2f} ms  p99 {cmd['http_p99_ms']:.2f} ms"
        f"  (x{cmd['http_p50_ms'] / cmd['bus_p50_ms']:.2f} at p50)"
    )


if __name__ == "__main__":
    asyncio.run(main())
