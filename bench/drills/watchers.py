"""Clients that watch a bot through the gateway or the dashboard, and what they prove afterwards.

A `Watcher` reconnects on its own (after 0.1-0.3 s, backing off to 5 s with jitter while refused),
resuming after the last offset it saw for each bot,
like a browser or a program should. It keeps the event id of every trade it received, in order, the
resyncs it was told about, and (for the load bot) how late each stamped price arrived. `check` then
compares its trades with the trader's ledger: lost, duplicated, out of order.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from bench.drills.rig import BOT, LOAD_BOT

UNSET: Any = object()


class Watcher:
    def __init__(self, name: str, via: Any, *, read_delay_s: float = 0.0, max_queue: int | None = None) -> None:
        self.name, self.via = name, via  # via: the rig's Gateway or Dashboard
        self.read_delay_s, self.max_queue = read_delay_s, max_queue
        self.trades: list[str] = []
        self.trade_ts: list[float] = []  # when each trade happened (the trader's clock)
        self.arrivals: list[float] = []
        self.baseline: Any = UNSET  # the last trade included in the first snapshot (None: none yet)
        self.offsets: dict[str, str] = {}
        self.resyncs = 0
        self.connects = 0
        self.close_codes: list[int | None] = []
        self.latencies: list[tuple[float, float]] = []  # (arrival, ms) of stamped load prices
        self.frames = 0
        self.last_error = ""
        self.retry_s = 0.1
        self.allowed = asyncio.Event()
        self.allowed.set()
        self._ws: Any = None
        self.subscribed = asyncio.Event()

    def url_and_headers(self) -> tuple[str, dict[str, str]]:
        gateway = self.via.name == "gateway"
        if gateway:
            query = f"bots={BOT},{LOAD_BOT}" + "".join(f"&after={bot}:{off}" for bot, off in self.offsets.items())
        else:
            query = "after=" + ",".join(f"{bot}:{off}" for bot, off in self.offsets.items()) if self.offsets else ""
        target = self.via.target(query)
        return target.url, target.headers

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.allowed.wait()
            frames_before = self.frames
            url, headers = self.url_and_headers()
            origin = headers.pop("Origin", None)
            try:
                async with connect(
                    url,
                    additional_headers=headers,
                    origin=origin,
                    compression=None,  # type: ignore[arg-type]
                    max_queue=self.max_queue or 16,
                    open_timeout=10,
                    ping_interval=None,
                    close_timeout=2,
                    max_size=2**24,
                ) as ws:
                    self._ws = ws
                    self.connects += 1
                    async for frame in ws:
                        self.take(frame if isinstance(frame, str) else frame.decode(), time.time())
                        if self.read_delay_s:
                            await asyncio.sleep(self.read_delay_s)
                    self.close_codes.append(ws.close_code)
            except ConnectionClosed as closed:
                self.close_codes.append(closed.rcvd.code if closed.rcvd else None)
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError) as error:
                self.last_error = f"{type(error).__name__}: {error}"[:120]
            self._ws = None
            # Back off with jitter, as clients are told to: 0.2 s doubling to 5 s, reset once subscribed.
            self.retry_s = 0.2 if self.frames > frames_before else min(5.0, self.retry_s * 2)
            await asyncio.sleep(self.retry_s * random.uniform(0.5, 1.5))

    async def go_offline(self) -> None:
        self.allowed.clear()
        if self._ws is not None:
            await self._ws.close()

    def come_back(self) -> None:
        self.allowed.set()

    def take(self, text: str, now: float) -> None:
        self.frames += 1
        message = json.loads(text)
        kind, bot = message.get("type"), message.get("bot_id")
        data = message.get("data") or {}
        if kind == "resync":
            self.resyncs += 1
            return
        if kind in ("snapshot", "status") and bot and message.get("offset"):
            self.offsets.setdefault(bot, message["offset"])  # resume from the snapshot if nothing came yet
        if kind in ("snapshot", "status") and bot == BOT:
            last = data.get("trade") if kind == "snapshot" else data.get("last_trade")
            if self.baseline is UNSET:
                self.baseline = last["event_id"] if last else None
            self.subscribed.set()
            return
        if kind == "subscribed":
            if self.baseline is UNSET and message.get("after", {}).get(BOT) is None:
                self.baseline = None  # the bot had published nothing: every trade is expected
            self.subscribed.set()
            return
        if message.get("offset") and bot:
            self.offsets[bot] = message["offset"]
        if kind in ("trade_executed", "trade") and bot == BOT:
            if self.baseline is UNSET:
                self.baseline = None
            self.trades.append(data["event_id"])
            self.trade_ts.append(datetime.fromisoformat(data["ts"].replace("Z", "+00:00")).timestamp())
            self.arrivals.append(now)
        elif kind in ("price_update", "price") and bot == LOAD_BOT:
            self.latencies.append((now, (time.time_ns() - int(data["iteration"])) / 1e6))


@dataclass
class Check:
    watcher: str
    expected: int
    delivered: int
    lost: int
    duplicated: int
    out_of_order: int
    unknown: int
    resyncs: int
    connects: int
    first_lost: list[str] = field(default_factory=list)


def check(watcher: Watcher, ledger: list[str]) -> Check:
    start = 0
    if watcher.baseline not in (None, UNSET) and watcher.baseline in ledger:
        start = ledger.index(watcher.baseline) + 1
    expected = ledger[start:]
    position = {event_id: i for i, event_id in enumerate(ledger)}
    seen: set[str] = set()
    duplicated = out_of_order = unknown = 0
    last = -1
    for event_id in watcher.trades:
        if event_id in seen:
            duplicated += 1
            continue
        seen.add(event_id)
        where = position.get(event_id)
        if where is None:
            unknown += 1
            continue
        if where < last:
            out_of_order += 1
        last = max(last, where)
    lost = [event_id for event_id in expected if event_id not in seen]
    return Check(
        watcher.name,
        len(expected),
        len(expected) - len(lost),
        len(lost),
        duplicated,
        out_of_order,
        unknown,
        watcher.resyncs,
        watcher.connects,
        lost[:3],
    )


def caught_up(watchers: list[Watcher], ledger: list[str]) -> bool:
    return all(check(w, ledger).lost == 0 for w in watchers)


def recovery_s(watchers: list[Watcher], since: float, back_at: float | None = None) -> float | None:
    """From the fault (`since`) until every watcher held a trade made after the faulty part was back
    (`back_at`, default `since`): the outage as the clients saw it. None if one never did."""
    worst, made_after = 0.0, back_at or since
    for watcher in watchers:
        after = [arrival for ts, arrival in zip(watcher.trade_ts, watcher.arrivals, strict=True) if ts >= made_after]
        if not after:
            return None
        worst = max(worst, after[0] - since)
    return worst
