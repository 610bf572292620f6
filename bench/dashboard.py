"""Dashboard benchmark: uvicorn against Daphne, serving the same application to real clients.

For each server, one dashboard process on a private redis-server:
- HTTP: the logged-in control room page (template + one query), sequentially and 20 at a time;
- WebSocket fan-out: N logged-in clients; trades are published on the bus at a steady rate and each
  delivery's latency is measured from just before the publish call to the client holding the frame;
- the server process's CPU time over the fan-out run (from /proc), the cost per delivered message.

    uv run python -m bench.dashboard [--clients 50] [--trades 300] [--rate 100] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from bench.sample import cpu_seconds, percentile, trade
from tradewire_bus import RedisBus
from tradewire_schemas import StatusChanged
from tradewire_testing import RedisServer
from tradewire_testing.dashboard_process import DashboardProcess

BOT = "bench"


async def http_latency(client: httpx.AsyncClient, requests: int) -> dict[str, float]:
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get("/")
        assert response.status_code == 200
        timings.append((time.perf_counter() - start) * 1000)
    started = time.perf_counter()
    await asyncio.gather(*(client.get("/") for _ in range(requests)))
    return {
        "p50_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 0.99),
        "concurrent_rps": requests / (time.perf_counter() - started),
    }


async def fan_out(
    dashboard: DashboardProcess, bus: RedisBus, cookie: str, clients: int, trades: int, rate: float
) -> dict[str, float]:
    published: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()
    remaining = clients * trades

    async def client() -> None:
        nonlocal remaining
        url = f"ws://127.0.0.1:{dashboard.port}/ws/control/"
        async with connect(url, origin=dashboard.url, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
            assert json.loads(await ws.recv())["type"] == "status"  # from here on, every trade is pushed
            ready.release()
            async for frame in ws:
                arrived = time.perf_counter()
                message = json.loads(frame)
                if message["type"] == "trade":
                    latencies.append((arrived - published[message["data"]["event_id"]]) * 1000)
                    remaining -= 1
                    if remaining == 0:
                        done.set()
                    if message["data"]["order_id"] == str(trades - 1):
                        return

    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    for _ in range(clients):
        await ready.acquire()
    assert dashboard.pid is not None
    cpu_before, started = cpu_seconds(dashboard.pid), time.perf_counter()
    for n in range(trades):
        event = trade(n, BOT)
        published[str(event.event_id)] = time.perf_counter()
        await bus.publish(event)
        await asyncio.sleep(1 / rate)  # a steady publishing rate, like a busy trader
    with contextlib.suppress(TimeoutError):  # reported below as the share delivered
        await asyncio.wait_for(done.wait(), 30)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(dashboard.pid) - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "delivered": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "server_cpu_s": cpu,
        "cpu_us_per_delivery": cpu / len(latencies) * 1e6,
        "elapsed_s": elapsed,
        "delivered_pct": 100 * len(latencies) / (clients * trades),
    }


async def measure(server: str, redis: RedisServer, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as folder, DashboardProcess(redis.url, Path(folder), server=server) as dashboard:
        cookie = await asyncio.to_thread(dashboard.log_in)
        headers = {"Cookie": cookie}
        async with (
            httpx.AsyncClient(base_url=dashboard.url, headers=headers) as client,
            RedisBus.connect(redis.url) as bus,
        ):
            await bus.publish(StatusChanged(bot_id=BOT, status="running", reason="bench", actor="bench"))
            http = await http_latency(client, args.requests)
            ws = await fan_out(dashboard, bus, cookie, args.clients, args.trades, args.rate)
    return {"http": http, "ws": ws}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--trades", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100, help="trades published per second")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10 clients, 100 trades, 50 page loads")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.trades, args.requests = 10, 100, 50
    results = {}
    with RedisServer() as redis:
        for server in ("uvicorn", "daphne"):
            results[server] = await measure(server, redis, args)
    print(
        f"dashboard: {args.clients} WebSocket clients, {args.trades} trades at {args.rate:.0f}/s; "
        f"{args.requests} page loads"
    )
    print(
        f"{'':10}{'page p50':>10}{'page p99':>10}{'page rps':>10}{'ws p50':>9}{'ws p99':>9}{'ws max':>9}"
        f"{'cpu µs/msg':>12}{'delivered':>11}"
    )
    for server, result in results.items():
        http, ws = result["http"], result["ws"]
        print(
            f"{server:10}{http['p50_ms']:>8.1f}ms{http['p99_ms']:>8.1f}ms{http['concurrent_rps']:>10.0f}"
            f"{ws['p50_ms']:>7.1f}ms{ws['p99_ms']:>7.1f}ms{ws['max_ms']:>7.1f}ms{ws['cpu_us_per_delivery']:>12.0f}"
            f"{ws['delivered_pct']:>10.1f}%"
        )
    u, d = results["uvicorn"], results["daphne"]
    print(
        f"uvicorn/daphne: page p50 x{u['http']['p50_ms'] / d['http']['p50_ms']:.2f}, "
        f"ws p99 x{u['ws']['p99_ms'] / d['ws']['p99_ms']:.2f}, "
        f"cpu per message x{u['ws']['cpu_us_per_delivery'] / d['ws']['cpu_us_per_delivery']:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
