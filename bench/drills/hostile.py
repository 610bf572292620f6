"""The drills' faults from outside the processes: a slow client under load, garbage on the bus, malformed
frames, a reconnect storm. Like those of faults.py, each is given the `Scene` and returns the moment
recovery is measured from.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import Counter
from decimal import Decimal

import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.drills.faults import Scene
from bench.drills.rig import BOT, LOAD_BOT
from bench.drills.watchers import Watcher
from tradewire_bus import RedisBus, Topics
from tradewire_schemas import PriceUpdated
from tradewire_testing import eventually


async def _publish_load(redis_url: str, rate: float, stop: asyncio.Event) -> None:
    """Stamped prices for a second bot: `iteration` carries the publish time_ns, for the latency."""
    async with RedisBus.connect(redis_url) as bus:
        start, n = time.perf_counter(), 0
        while not stop.is_set():
            await bus.publish(
                PriceUpdated(
                    bot_id=LOAD_BOT,
                    symbol="ETH/USDT",
                    last=Decimal("3000.5"),
                    bid=Decimal("3000.4"),
                    ask=Decimal("3000.6"),
                    change_pct=Decimal("0.1"),
                    iteration=time.time_ns(),
                )
            )
            n += 1
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))


def _latency(watchers: list[Watcher], since: float, until: float) -> tuple[float, float, int]:
    values = sorted(ms for w in watchers for at, ms in w.latencies if since <= at < until)
    if not values:
        return float("nan"), float("nan"), 0
    return statistics.median(values), values[min(len(values) - 1, int(0.99 * len(values)))], len(values)


async def slow_client(scene: Scene) -> float:
    """Phase 1 without, phase 2 with a slow reader on each server; the fast readers' latency and the
    servers' memory are compared across the two phases."""
    load_stop = asyncio.Event()
    load = asyncio.create_task(_publish_load(scene.rig.redis.url, 200, load_stop))
    rss: dict[str, list[int]] = {"gateway": [], "dashboard": []}
    phase_s = scene.args.slow_s

    async def sample(seconds: float) -> dict[str, int]:
        peak = {"gateway": 0, "dashboard": 0}
        for _ in range(int(seconds)):
            await asyncio.sleep(1)
            for name, value in (await asyncio.to_thread(scene.rig.server_rss)).items():
                rss[name].append(value)
                peak[name] = max(peak[name], value)
        return peak

    try:
        t0 = time.time()
        before = await sample(phase_s / 2)
        t1 = time.time()
        slow = [
            scene.add(Watcher("slow-gateway", scene.rig.gateway, read_delay_s=1.0, max_queue=1), partial=True),
            scene.add(Watcher("slow-dashboard", scene.rig.dashboard, read_delay_s=1.0, max_queue=1), partial=True),
        ]
        during = await sample(phase_s)
        t2 = time.time()
    finally:
        load_stop.set()
        await load
    for server in ("gateway", "dashboard"):
        fast = [w for w in scene.watchers if w.via.name == server]
        p50a, p99a, na = _latency(fast, t0 + 1, t1)
        p50b, p99b, nb = _latency(fast, t1 + 1, t2)
        scene.notes.append(
            f"{server} fast clients: p50 {p50a:.1f} ms p99 {p99a:.1f} ms ({na} prices) without the slow"
            f" client; p50 {p50b:.1f} ms p99 {p99b:.1f} ms ({nb}) with it"
        )
        if not (p99b <= max(2 * p99a, p99a + 5)):
            scene.failed.append(f"{server}: the fast clients' p99 latency moved with a slow client connected")
    for name in ("gateway", "dashboard"):
        scene.notes.append(
            f"{name} RSS peak {before[name] / 2**20:.1f} MiB before, {during[name] / 2**20:.1f} MiB"
            f" with the slow client ({phase_s:.0f} s)"
        )
    for watcher in slow:
        scene.notes.append(f"{watcher.name}: {watcher.frames} frames read, closes {watcher.close_codes[:5]}")
    if max(during.values()) - max(before.values()) > 64 * 2**20:
        scene.failed.append("a server grew by more than 64 MiB with one slow client")
    return t1


GARBAGE: list[bytes] = [
    b"hello",
    b"",
    b"{}",
    b"[1,2,3]",
    b"\xff\xfe\x00 not utf-8",
    b'{"epoch":"x","offset":"1-0","event":{}}',
    b'{"epoch":"x","offset":"1-0","event":{"type":"trade_executed","bot_id":"drill"}}',
    b'{"epoch":"x","offset":"999999999999999-0","event":{"type":"heartbeat","bot_id":"other","seq":1}}',
    b"x" * (1 << 20),
]


async def bus_garbage(scene: Scene) -> float:
    since = time.time()
    topics = Topics()
    client = aioredis.Redis.from_url(scene.rig.redis.url)
    try:
        for payload in GARBAGE:
            await client.publish(topics.bot_events(BOT), payload)
        await client.xadd(topics.bot_stream(BOT), {"event": b"not an event"})
        await client.xadd(topics.bot_stream(BOT), {"junk": b"1"})
    finally:
        await client.aclose()
    scene.notes.append(f"{len(GARBAGE)} garbage messages published, 2 garbage stream entries added")
    # Two clients reconnect so that their resume reads the stream across the garbage entries.
    await asyncio.sleep(1)
    for watcher in scene.watchers:
        if watcher.name.endswith("-1"):
            await watcher.go_offline()
    await asyncio.sleep(1)
    for watcher in scene.watchers:
        watcher.come_back()
    return since


MALFORMED: list[str | bytes] = [
    "not json",
    "{",
    '{"command":"explode","bot_id":"drill"}',
    '{"command":null}',
    "[]",
    b"\x00\x01binary",
    '{"command":"request_status","bot_id":"no such bot!"}',
]


async def _abuse(url: str, headers: dict[str, str]) -> tuple[int, int | None]:
    """Send every malformed frame, then one oversized: (error replies, close code)."""
    origin = headers.pop("Origin", None)
    errors = 0
    async with connect(
        url,
        additional_headers=headers,
        origin=origin,
        compression=None,  # type: ignore[arg-type]
        ping_interval=None,
        max_size=None,
    ) as ws:
        for frame in MALFORMED:
            await ws.send(frame)
        deadline = time.monotonic() + 5
        while errors < len(MALFORMED) and time.monotonic() < deadline:
            try:
                reply = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            errors += '"error"' in str(reply)
        try:
            await ws.send("x" * (1 << 20))
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        return errors, ws.close_code


async def malformed_frames(scene: Scene) -> float:
    since = time.time()
    for via in (scene.rig.gateway, scene.rig.dashboard):
        query = f"bots={BOT}" if via.name == "gateway" else ""
        target = via.target(query)
        try:
            errors, code = await asyncio.wait_for(_abuse(target.url, dict(target.headers)), 30)
        except Exception as error:
            scene.failed.append(f"{via.name}: the abusive client failed oddly: {error!r}")
            continue
        scene.notes.append(
            f"{via.name}: {errors} error replies to {len(MALFORMED)} malformed frames; 1 MiB frame closed with {code}"
        )
        if code != 1009:
            scene.failed.append(f"{via.name}: an oversized frame closed with {code}, not 1009")
    return since


STORM_WAIT_S = 30.0  # backing off to 5 s with jitter, every client has had several tries by then


async def reconnect_storm(scene: Scene) -> float:
    count = scene.args.storm
    gateway_share = count * 2 // 3
    storm = [scene.add(Watcher(f"storm-g{i}", scene.rig.gateway)) for i in range(gateway_share)]
    storm += [scene.add(Watcher(f"storm-d{i}", scene.rig.dashboard)) for i in range(count - gateway_share)]
    lag = [0.0]

    async def watch_loop_lag() -> None:  # is this process itself keeping up with its 300 clients?
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            lag[0] = max(lag[0], time.monotonic() - before - 0.1)

    monitor = asyncio.create_task(watch_loop_lag())
    started = time.time()
    await scene.all_subscribed(storm, timeout=120)
    scene.notes.append(f"{count} clients connected in {time.time() - started:.1f} s")
    since = time.time()
    for _round in range(3):
        connects = {w.name: w.connects for w in storm}
        for watcher in storm:
            if watcher._ws is not None:
                watcher._ws.transport.abort()  # dropped, not closed: no close handshake
        try:
            await eventually(
                lambda c=connects: all(w.connects > c[w.name] for w in storm), timeout=STORM_WAIT_S, interval=0.1
            )
        except AssertionError:
            stuck = [w for w in storm if w.connects == connects[w.name]]
            errors = Counter(f"{w.via.name}: {w.last_error or 'no error'}" for w in stuck)
            back = f"round {_round + 1}: {len(stuck)} of {count} clients not back within {STORM_WAIT_S:.0f} s"
            scene.failed.append(f"{back}: {dict(errors)}")
            break
        since = time.time()  # recovery is timed from the last drop
    monitor.cancel()
    scene.notes.append(f"the clients' own event loop lagged at most {lag[0]:.2f} s")
    scene.recovering.extend(storm)
    scene.notes.append(f"3 rounds of {count} drops; recovery timed from the last")
    return since


def unique_id() -> str:
    return uuid.uuid4().hex
