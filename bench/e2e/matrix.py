"""End-to-end benchmark: the trader side publishes, WebSocket clients receive, through each design.

For every design (the tradewire gateway and dashboard, and the baselines (a) minimal relay, (b) the
original chain, (c) polling every 2 s), on one private redis-server, and for every cell of clients x
event rate: N clients connect (many per process, in a few client processes), the load generator (this
process, nothing else runs in it meanwhile) publishes real `trade_executed` events with
`RedisBus.publish` at a steady rate, and every client records when each event arrives.

Latency: publish call -> frame in the client (time.time_ns() in both, one machine). Throughput:
deliveries per second, from the first publish to the last arrival. Memory per client: the server
processes' RSS after the N clients are connected minus before, divided by N. Every figure is printed
beside its ratio to (a) and to (b), measured in the same run.

    uv run python -m bench.e2e             # the full matrix (~6 minutes)
    uv run python -m bench.e2e --quick     # a smaller matrix (~2 minutes)
    uv run python -m bench.e2e --designs gateway,relay --cells 1x1000x3,1000x20x5 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from bench.e2e import targets as goals
from bench.e2e.clients import ClientGroup, Tally
from bench.e2e.load import LoadWatch
from bench.e2e.report import load_line, markdown, memory_report, report
from bench.e2e.results import FULL, QUICK, Cell, Memory, Result
from bench.e2e.servers import DESIGNS, Design, scratch_dir
from bench.sample import cpu_seconds, percentile, rss_bytes
from tradewire_bus import RedisBus, Topics
from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_testing import RedisServer

BOT = "bench"


def a_trade() -> TradeExecuted:
    return TradeExecuted(
        bot_id=BOT,
        mode="paper",
        side="buy",
        symbol="BTC/USDT",
        price=Decimal("42000.12"),
        amount=Decimal("0.01"),
        cost=Decimal("420.0012"),
        fee=Decimal("0.42"),
        fee_currency="USDT",
        order_id="-",
        position=Decimal("0.01"),
        balances={"USDT": Decimal("9579.57"), "BTC": Decimal("0.01")},
    )


async def publish(bus: RedisBus, cell_id: int, count: int, rate: float) -> int:
    """Publish `count` trades at `rate`; returns the time_ns of the first publish."""
    template = a_trade()
    interval, start, first = 1 / rate, time.perf_counter(), 0
    for n in range(count):
        stamp = time.time_ns()
        first = first or stamp
        await bus.publish(template.model_copy(update={"order_id": f"{cell_id}.{n}.{stamp}", "event_id": uuid.uuid4()}))
        delay = start + (n + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    return first


def probe_memory(design: Design, clients: int, processes: int) -> Memory:
    """The server processes' RSS before and with `clients` idle clients connected (done first, on a fresh
    server, because Python keeps freed memory: a later probe would reuse what earlier clients left)."""
    pids = design.pids()
    before = sum(rss_bytes(pid) for pid in pids)
    group = ClientGroup(design.target(), clients, processes, 0, 0)
    try:
        group.wait_ready()
        time.sleep(0.5)  # the server finishes the handshakes' bookkeeping; nothing to wait on from here
        after = sum(rss_bytes(pid) for pid in pids)
        group.finish(time.time())
    finally:
        group.kill()
    return Memory(design.name, clients, before / 2**20, after / 2**20, (after - before) / 1024 / clients)


def run_cell(design: Design, bus_url: str, cell: Cell, cell_id: int, processes: int, drain_s: float) -> Result:
    pids = design.pids()
    group = ClientGroup(design.target(), cell.clients, processes, cell_id, cell.events)
    watch = LoadWatch()
    try:
        connected, failed = group.wait_ready()
        cpu_before = sum(cpu_seconds(pid) for pid in pids)

        async def load() -> int:
            async with RedisBus.connect(bus_url) as bus:
                return await publish(bus, cell_id, cell.events, cell.rate)

        with watch:  # who else used the cores while this cell was measured
            first_ns = asyncio.run(load())
            tally: Tally = group.finish(time.time() + drain_s)
    finally:
        group.kill()
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    latencies = sorted(tally.latencies_us)
    span_s = max(1e-9, (tally.last_ns - first_ns) / 1e9)
    expected = cell.events * cell.clients
    return (
        Result(
            design=design.name,
            cell=cell.name,
            clients=cell.clients,
            rate=cell.rate,
            events=cell.events,
            connected=connected,
            p50_ms=statistics.median(latencies) / 1000 if latencies else float("nan"),
            p99_ms=percentile(latencies, 0.99) / 1000,
            max_ms=(latencies[-1] / 1000) if latencies else float("nan"),
            per_second=tally.delivered / span_s,
            delivered_pct=100 * tally.delivered / expected,
            duplicates=tally.duplicates,
            out_of_order=tally.out_of_order,
            missing=expected - tally.delivered,
            cpu_us_per_delivery=cpu / max(1, tally.delivered) * 1e6,
            busiest_other=watch.load.busiest if watch.load else 0.0,
            busiest_other_name=watch.load.strangers[0][0] if watch.load and watch.load.strangers else "",
        )
        if not failed
        else _failed(design, cell, connected, failed)
    )


def _failed(design: Design, cell: Cell, connected: int, failed: int) -> Result:
    print(f"  {design.name}: {failed} of {cell.clients} clients could not connect")
    nan = float("nan")
    return Result(
        design.name,
        cell.name,
        cell.clients,
        cell.rate,
        cell.events,
        connected,
        nan,
        nan,
        nan,
        0,
        0,
        0,
        0,
        cell.events * cell.clients,
        nan,
    )


def measure_design(
    design: Design, url: str, cells: list[Cell], processes: int, cell_id: int, most: int, round_: int
) -> tuple[list[Result], list[Memory], int]:
    results, memory = [], []
    with design:
        if most >= 100:
            probe = probe_memory(design, most, 1 if most < 500 else processes)
            probe.round = round_
            memory.append(probe)
        run_cell(design, url, Cell(1, 200, 0.5), cell_id, 1, 5)  # warm-up, not reported
        for cell in cells:
            cell_id += 1
            drain = 10.0 if design.name != "poll" else 6.0
            result = run_cell(design, url, cell, cell_id, 1 if cell.clients < 500 else processes, drain)
            result.round = round_
            results.append(result)
            print(
                f"  {design.label:22} {cell.name:22} p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms"
                f"  delivered {result.delivered_pct:6.2f}%  other processes {result.busiest_other:.0%}",
                flush=True,
            )
    return results, memory, cell_id + 1


def measure(
    names: list[str], cells: list[Cell], processes: int, rounds: int = 1, plan: dict[str, list[Cell]] | None = None
) -> tuple[list[Result], list[Memory]]:
    """Every design on its cells, `rounds` times; each round starts one design further along the list, so
    no design is always measured first or last. `plan` narrows a design's cells (default: all of them)."""
    results: list[Result] = []
    memory: list[Memory] = []
    cell_id = 1
    channel = Topics().bot_events(BOT)

    async def announce(url: str) -> None:  # the dashboard's first frame is a bot's status: give it one bot
        async with RedisBus.connect(url) as bus:
            await bus.publish(StatusChanged(bot_id=BOT, status="running", reason="bench", actor="bench"))

    for round_ in range(rounds):
        if rounds > 1:
            print(f"-- round {round_ + 1} of {rounds}", flush=True)
        for name in goals.rotated(names, round_):
            mine = (plan or {}).get(name, cells)
            most = max(cell.clients for cell in mine)
            # A fresh Redis per design: the same empty history for each (the dashboard's recorder would
            # otherwise spend the first cells storing every trade published for the designs before it).
            with RedisServer() as redis, scratch_dir() as folder:
                asyncio.run(announce(redis.url))
                try:
                    design = DESIGNS[name](redis.url, channel, BOT, Path(folder))
                    found, probed, cell_id = measure_design(design, redis.url, mine, processes, cell_id, most, round_)
                    results += found
                    memory += probed
                except Exception as error:  # one design failing must not hide the others' figures
                    print(f"  {name}: FAILED: {error!r}", flush=True)
    return results, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller matrix, about 2 minutes")
    parser.add_argument("--designs", help=f"comma-separated, of {', '.join(DESIGNS)} (default: all)")
    parser.add_argument("--cells", help="comma-separated CLIENTSxRATExSECONDS, e.g. 1x1000x3,1000x20x5")
    parser.add_argument("--rounds", type=int, help="measure everything this many times, designs interleaved")
    parser.add_argument(
        "--targets",
        action="store_true",
        help=f"issue 20's targets: {goals.ROUNDS} rounds of its two cells, met only when the worst round meets it",
    )
    parser.add_argument("--client-processes", type=int, default=2, help="client processes for 500+ clients")
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    args = parser.parse_args(argv)
    cells = [Cell.parse(c) for c in args.cells.split(",")] if args.cells else (QUICK if args.quick else FULL)
    names = [n for n in args.designs.split(",") if n] if args.designs else list(DESIGNS)
    rounds, plan = args.rounds or 1, None
    if args.targets:
        cells = [goals.ONE, goals.FAN] if not args.cells else cells
        names = names if args.designs else goals.DESIGNS
        rounds, plan = args.rounds or goals.ROUNDS, None if args.cells else goals.PLAN
    unknown = set(names) - set(DESIGNS)
    if unknown:
        parser.error(f"unknown designs {sorted(unknown)}")
    started = time.monotonic()
    results, memory = measure(names, cells, args.client_processes, rounds, plan)
    for round_ in range(rounds):
        if rounds > 1:
            print(f"\n==== round {round_ + 1} of {rounds} ====")
        report([r for r in results if r.round == round_], cells)
        print(memory_report([m for m in memory if m.round == round_]))
    verdicts = goals.judge(goals.rounds_of(results, memory, rounds))
    refused = goals.refusal(results)
    print(f"\n(e2e measured in {time.monotonic() - started:.0f} s; machine: {load_line(results)})")
    print("\n" + goals.summary(results, memory))
    print(refused if refused else "\n".join(goals.verdict_lines(verdicts, rounds)))
    if args.json:
        judged = {
            v.target.key: {"met": v.met, "median": v.median, "worst": v.worst, "values": v.values} for v in verdicts
        }
        args.json.write_text(
            json.dumps(
                {
                    "rounds": rounds,
                    "results": [asdict(r) for r in results],
                    "memory": [asdict(m) for m in memory],
                    "targets": None if refused else judged,
                    "refused": refused,
                },
                indent=1,
            )
        )
    if args.markdown:
        text = goals.summary(results, memory) + "\n" + (refused or "\n".join(goals.verdict_lines(verdicts, rounds)))
        args.markdown.write_text(text + "\n\n" + markdown(results, cells) + "\n" + memory_report(memory, markdown=True))
    if refused:
        return 2
    return 0 if all(v.met for v in verdicts) else 1
