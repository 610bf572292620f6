"""Many clients in one process (asyncio on uvloop), counting what each receives.

Each event the load generator publishes carries `order_id = "<cell>.<n>.<publish time_ns>"`, so a
client needs no clock of the publisher's: latency is its own `time.time_ns()` at receipt minus the
stamp (one machine, one clock). Every connection keeps a bitmap of the n it has seen, so it counts
duplicates, out-of-order arrivals and, at the end, what never came. Frames are matched with one
regular expression instead of parsing the JSON, so the clients cost the same for every design.

The parent drives a group of these processes over pipes: start -> "ready" -> (it publishes) ->
finish_by -> the tallies come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import random
import re
import time
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench.e2e.servers import ClientTarget

EVENT_STAMP = re.compile(r'"order_id":"(\d+)\.(\d+)\.(\d+)"')
POLL_HEAD = re.compile(r'^\{"head":(\d+)')
OPEN_AT_ONCE = 50  # handshakes in flight per process, under every server's listen backlog
READY_TIMEOUT_S = 60.0


@dataclass
class Tally:
    connections: int = 0
    failed: int = 0
    delivered: int = 0  # first arrivals only
    duplicates: int = 0
    out_of_order: int = 0
    missing: int = 0
    complete: int = 0  # connections that received every event
    first_ns: int = 0
    last_ns: int = 0
    latencies_us: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]

    def merge(self, other: Tally) -> None:
        for name in ("connections", "failed", "delivered", "duplicates", "out_of_order", "missing", "complete"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.first_ns = min(x for x in (self.first_ns, other.first_ns) if x) if other.first_ns else self.first_ns
        self.last_ns = max(self.last_ns, other.last_ns)
        self.latencies_us.extend(other.latencies_us)


class Receiver:
    """One connection's view: which events of the cell arrived, in what order, how late."""

    def __init__(self, cell: int, expected: int, tally: Tally, finished: asyncio.Event, group: list[int]) -> None:
        self.cell, self.expected, self.tally = cell, expected, tally
        self.seen = bytearray(expected)
        self.unique = 0
        self.last = -1
        self.ready = False
        self._finished, self._group = finished, group

    def take(self, text: str, now_ns: int) -> None:
        for match in EVENT_STAMP.finditer(text):
            if int(match.group(1)) != self.cell:
                continue
            n = int(match.group(2))
            if n >= self.expected or self.seen[n]:
                self.tally.duplicates += 1
                continue
            self.seen[n] = 1
            self.unique += 1
            if n < self.last:
                self.tally.out_of_order += 1
            self.last = max(self.last, n)
            self.tally.delivered += 1
            self.tally.latencies_us.append((now_ns - int(match.group(3))) / 1000)
            if not self.tally.first_ns:
                self.tally.first_ns = now_ns
            self.tally.last_ns = max(self.tally.last_ns, now_ns)
            if self.unique == self.expected:
                self.tally.complete += 1
                self._group[0] -= 1
                if self._group[0] == 0:
                    self._finished.set()


async def _websocket(target: ClientTarget, receiver: Receiver, opening: asyncio.Semaphore, on_ready: Any) -> None:
    from websockets.asyncio.client import connect

    headers = dict(target.headers)
    origin = headers.pop("Origin", None)
    async with opening:
        ws = await connect(
            target.url,
            additional_headers=headers,
            origin=origin,
            compression=None,  # type: ignore[arg-type]
            max_size=2**24,
            open_timeout=120,
            ping_interval=None,
            close_timeout=1,
        )
    async with ws:
        if not receiver.ready:  # a server that never says "ready" counts as a failed connection
            text = await asyncio.wait_for(ws.recv(), READY_TIMEOUT_S)
            while target.ready_marker not in (text if isinstance(text, str) else text.decode()):
                text = await asyncio.wait_for(ws.recv(), READY_TIMEOUT_S)
            receiver.ready = True
            on_ready()
        async for frame in ws:
            now = time.time_ns()
            receiver.take(frame if isinstance(frame, str) else frame.decode(), now)


async def _poller(target: ClientTarget, receiver: Receiver, http: Any, on_ready: Any, interval: float) -> None:
    body = (await http.get(target.url, params={"after": -1})).text
    head = int(POLL_HEAD.match(body).group(1))  # type: ignore[union-attr]
    receiver.ready = True
    on_ready()
    next_poll = time.monotonic() + random.uniform(0, interval)  # clients' timers are not in step
    while receiver.unique < receiver.expected:
        await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
        next_poll += interval
        body = (await http.get(target.url, params={"after": head})).text
        receiver.take(body, time.time_ns())
        head = int(POLL_HEAD.match(body).group(1))  # type: ignore[union-attr]


async def _run(
    target: ClientTarget, connections: int, cell: int, expected: int, pipe: Connection, poll_interval: float
) -> None:
    import httpx

    tally = Tally(connections=connections)
    finished = asyncio.Event()
    group = [connections]
    ready, settled = [0], asyncio.Event()

    def on_ready() -> None:
        ready[0] += 1
        if ready[0] + tally.failed == connections:
            settled.set()

    receivers = [Receiver(cell, expected, tally, finished, group) for _ in range(connections)]
    opening = asyncio.Semaphore(OPEN_AT_ONCE)
    http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=connections + 10))

    async def one(receiver: Receiver) -> None:
        try:
            if target.kind == "poll":
                await _poller(target, receiver, http, on_ready, poll_interval)
            else:
                await _websocket(target, receiver, opening, on_ready)
        except Exception:
            if not receiver.ready:
                tally.failed += 1
                if ready[0] + tally.failed == connections:
                    settled.set()

    tasks = [asyncio.create_task(one(receiver)) for receiver in receivers]
    loop = asyncio.get_running_loop()
    await settled.wait()
    pipe.send(("ready", ready[0], tally.failed))
    finish_by = await loop.run_in_executor(None, pipe.recv)
    if expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished.wait(), max(0.0, finish_by - time.time()))
    tally.missing = sum(r.expected - r.unique for r in receivers if r.ready)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await http.aclose()
    pipe.send(tally)


def client_process(
    target: ClientTarget, connections: int, cell: int, expected: int, pipe: Connection, poll_interval: float = 2.0
) -> None:
    import uvloop

    uvloop.run(_run(target, connections, cell, expected, pipe, poll_interval))


class ClientGroup:
    """`connections` clients spread over `processes` processes; the parent's handle on them."""

    def __init__(
        self,
        target: ClientTarget,
        connections: int,
        processes: int,
        cell: int,
        expected: int,
        poll_interval: float = 2.0,
    ) -> None:
        ctx = mp.get_context("spawn")
        processes = max(1, min(processes, connections))
        shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
        self.pipes: list[Connection] = []
        self.children = []
        for share in shares:
            ours, theirs = ctx.Pipe()
            child = ctx.Process(
                target=client_process, args=(target, share, cell, expected, theirs, poll_interval), daemon=True
            )
            child.start()
            self.pipes.append(ours)
            self.children.append(child)

    def wait_ready(self, timeout: float = 180) -> tuple[int, int]:
        ready = failed = 0
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("clients did not connect in time")
            _, ok, bad = pipe.recv()
            ready, failed = ready + ok, failed + bad
        return ready, failed

    def finish(self, finish_by: float) -> Tally:
        for pipe in self.pipes:
            pipe.send(finish_by)
        total = Tally()
        for pipe in self.pipes:
            if not pipe.poll(max(5.0, finish_by - time.time() + 30)):
                raise TimeoutError("clients did not report")
            total.merge(pipe.recv())
        for child in self.children:
            child.join(10)
            if child.is_alive():
                child.kill()
        return total

    def kill(self) -> None:
        for child in self.children:
            if child.is_alive():
                child.kill()
