"""`./tw bench bus --cluster`: the bus on a local Redis Cluster beside one Redis, in the same run.

- latency: one publisher, one subscriber process, one bot, at a steady rate (the same run as
  `./tw bench bus`'s bus row), on one Redis and on the cluster;
- aggregate throughput: several publisher processes, each publishing as fast as it can for its own bot
  (the bots spread over the cluster's three masters), no subscriber, on one Redis and on the cluster;
- publisher CPU per publish: each publisher process's own CPU time over its timed loop, divided by its
  events: what the client side costs, free of how loaded the machine is (wall-clock throughput on a
  small shared machine mostly measures the other programs);
- Redis CPU per publish: user+system CPU of every master (`INFO cpu`) during the throughput run,
  divided by the events published: what one shard spends per event (the capacity model's first input),
  and from it the Redis ceiling: the publishes/s the masters could take with a core each;
  and during the latency run, where one process reads every event (its live message, and the doorbell
  XRANGE that confirms it): the difference is what each reading process adds per event.

    uv run python -m bench.bus --cluster [--messages 5000] [--rate 1000] [--publishers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event as MpEvent

import redis as redis_sync

from bench.bus import a_price, run_once
from tradewire_bus import RedisBus
from tradewire_testing import LocalCluster, RedisServer


def spread_bots(cluster: LocalCluster | None, count: int) -> list[str]:
    """`count` bot ids; on a cluster, spread round-robin over its masters."""
    if cluster is None:
        return [f"bench-{n}" for n in range(count)]
    by_master: dict[int, list[str]] = {}
    for number in range(10_000):
        bot = f"bench-{number}"
        by_master.setdefault(cluster.master_of(f"{{{bot}}}").port, []).append(bot)
        if sum(len(bots) >= count for bots in by_master.values()) == cluster.masters:
            break
    groups = list(by_master.values())
    return [groups[n % len(groups)][n // len(groups)] for n in range(count)]


def _publisher(url: str, bot: str, count: int, go: MpEvent, done: mp.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> tuple[float, float, float]:
        async with RedisBus.connect(url) as bus:
            await bus.publish(a_price(0).model_copy(update={"bot_id": bot}))  # connected, script loaded
            go.wait()
            began, cpu = time.perf_counter(), time.process_time()
            for i in range(count):
                await bus.publish(a_price(i).model_copy(update={"bot_id": bot}))
            return began, time.perf_counter(), time.process_time() - cpu

    done.put(asyncio.run(run()))


def redis_cpu_s(ports: list[int]) -> float:
    total = 0.0
    for port in ports:
        with redis_sync.Redis(port=port) as client:
            cpu = client.info("cpu")
        total += float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    return total


@dataclass
class Throughput:
    per_second: float
    redis_cpu_us_per_event: float
    client_cpu_us_per_event: float

    def redis_ceiling(self, masters: int) -> float:
        """Publishes/s the masters could take with a core each and bots spread evenly over them: the
        throughput target measured in CPU time, not in a loaded machine's wall clock (Redis runs
        commands on one thread, so each master is bound by its own CPU per publish)."""
        return masters * 1e6 / self.redis_cpu_us_per_event


def aggregate_throughput(url: str, bots: list[str], count: int, ports: list[int]) -> Throughput:
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=_publisher, args=(url, bot, count, go, done)) for bot in bots]
    for child in children:
        child.start()
    time.sleep(3)  # publishers connect and load the script before the start signal (not a sync point:
    # the timed window starts at the signal, whatever each one was doing before it)
    cpu_before = redis_cpu_s(ports)
    go.set()
    spans = [done.get(timeout=300) for _ in children]
    cpu_after = redis_cpu_s(ports)
    for child in children:
        child.join(10)
    elapsed = max(end for _, end, _ in spans) - min(began for began, _, _ in spans)
    events = count * len(bots)
    client_cpu_s = sum(cpu for _, _, cpu in spans)
    return Throughput(events / elapsed, (cpu_after - cpu_before) / events * 1e6, client_cpu_s / events * 1e6)


def main(args: argparse.Namespace) -> dict[str, float]:
    results = {}
    with RedisServer() as single, LocalCluster() as cluster:
        masters = [node.port for node in cluster.nodes() if node.master]
        for url in (single.url, cluster.url):
            run_once("bus", url, 500, None)  # warm up
        for name, url, ports, spread in (
            ("one Redis", single.url, [single.port], None),
            ("cluster", cluster.url, masters, cluster),
        ):
            cpu_before = redis_cpu_s(ports)
            latency = run_once("bus", url, args.messages, args.rate)
            with_reader_us = (redis_cpu_s(ports) - cpu_before) / args.messages * 1e6
            bots = spread_bots(spread, args.publishers)
            throughput = aggregate_throughput(url, bots, args.messages // 2, ports)
            results[name] = (latency, throughput, with_reader_us)
    (one_lat, one_thr, one_read), (cl_lat, cl_thr, cl_read) = results["one Redis"], results["cluster"]
    print(f"\n== bus on Redis Cluster (3 masters, 3 replicas) beside one Redis, same run; latency at "
          f"{args.rate:.0f}/s, {args.messages} messages; throughput {args.publishers} publishers x "
          f"{args.messages // 2} events on {args.publishers} bots ==")  # fmt: skip
    print(f"{'':34}{'one Redis':>12}{'cluster':>12}{'ratio':>9}  target")
    rows = [
        ("latency p50 (us)", one_lat.p50_us, cl_lat.p50_us, "<= 1.5"),
        ("latency p99 (us)", one_lat.p99_us, cl_lat.p99_us, ""),
        ("aggregate publishes/s", one_thr.per_second, cl_thr.per_second, ">= 1.0"),
        ("Redis CPU per publish (us, all masters)", one_thr.redis_cpu_us_per_event, cl_thr.redis_cpu_us_per_event, ""),
        ("publisher CPU per publish (us)", one_thr.client_cpu_us_per_event, cl_thr.client_cpu_us_per_event, ""),
        ("Redis ceiling (publishes/s)", one_thr.redis_ceiling(1), cl_thr.redis_ceiling(len(masters)), ">= 1.0 (cpu)"),
        ("... with one reading process (us)", one_read, cl_read, ""),
    ]
    for name, one, clustered, target in rows:
        print(f"{name:34}{one:12.1f}{clustered:12.1f}{clustered / one:9.2f}  {target}")
    p50_ratio = cl_lat.p50_us / one_lat.p50_us
    thr_ratio = cl_thr.per_second / one_thr.per_second
    cpu_ratio = cl_thr.redis_ceiling(len(masters)) / one_thr.redis_ceiling(1)

    def judged(ratio: float, met: bool, target: str) -> str:
        return f"{ratio:.2f} ({target}: {'met' if met else 'MISSED'})"

    print(
        f"targets: p50 ratio {judged(p50_ratio, p50_ratio <= 1.5, '<= 1.5')}, "
        f"aggregate throughput ratio {judged(thr_ratio, thr_ratio >= 1.0, '>= 1.0')}"
    )
    print(f"in CPU time: Redis ceiling ratio {cpu_ratio:.2f} (>= 1.0), publisher CPU per publish ratio "
          f"{cl_thr.client_cpu_us_per_event / one_thr.client_cpu_us_per_event:.2f}")  # fmt: skip
    return {
        "cluster_p50_ratio": p50_ratio,
        "cluster_throughput_ratio": thr_ratio,
        "cluster_redis_ceiling_ratio": cpu_ratio,
        "publisher_cpu_us_per_publish_single": one_thr.client_cpu_us_per_event,
        "publisher_cpu_us_per_publish_cluster": cl_thr.client_cpu_us_per_event,
        "redis_cpu_us_per_publish_single": one_thr.redis_cpu_us_per_event,
        "redis_cpu_us_per_publish_cluster": cl_thr.redis_cpu_us_per_event,
        "redis_cpu_us_per_event_one_reader_single": one_read,
        "redis_cpu_us_per_event_one_reader_cluster": cl_read,
    }
