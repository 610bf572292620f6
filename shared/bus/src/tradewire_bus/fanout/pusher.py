"""A socket client of the hub: a cursor into the hub's ring, written to without a task or queue per frame.

While the client keeps up (`live`), the hub itself writes each event's frame straight to its outlet as the
event arrives: no queue, no task woken, no await per frame (the minimal relay's cost). Only when the
outlet has no room (its TCP window is full) does the client leave the fast path: its cursor stays where
it was and its own task (`run`) drains the ring from there, each write waiting for room, skipping a price
or stats update that a newer one in the ring supersedes (unless it asked for every event). A client the
ring has moved past reads what it missed from the stream instead (every trade; with conflation, the
latest of each price per page), then the ring again: it is never cut off for being slow, and never has a
silent gap. A client that takes nothing for `stall_s` is cut off with `ClientTooSlow` (its offsets).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Collection, Mapping
from typing import Protocol

from tradewire_bus.fanout.client_queue import FAIR_SHARE, ClientTooSlow, HubStats, Interest, Item
from tradewire_bus.fanout.ring import Ring
from tradewire_bus.fanout.seen import Seen
from tradewire_bus.subscription import FROM_START
from tradewire_schemas import Envelope

Render = Callable[[Item], str | None]  # an item's frame text for this server; None: it sends nothing for it
Observe = Callable[[Item, int, bool], None]  # (item, sockets written, live): the server's delivery metrics
History = Callable[[Mapping[str, str], bool], AsyncGenerator[Item, None]]


class Outlet(Protocol):
    """A socket written to without awaiting (`tradewire_runtime.lean_websocket`'s protocol is one)."""

    def ready(self) -> bool:
        """Open, with room in its buffer: `write_text` goes straight to the transport."""
        ...

    def write_text(self, text: str) -> None: ...

    def try_write(self, text: str) -> bool:
        """`write_text` if `ready()`, in one call (the hub's fast path); False: nothing written."""
        ...

    async def wait_ready(self) -> bool:
        """Until `ready()` (True) or closed (False)."""
        ...


class OutletClosed(Exception):
    """The client left; its pusher ends quietly."""


class Pusher:
    __slots__ = (
        "_history",
        "_resume",
        "_ring",
        "_seen",
        "_signal",
        "_stats",
        "_written",
        "checking",
        "conflate",
        "conflated",
        "cursor",
        "interest",
        "live",
        "observe",
        "offsets",
        "outlet",
        "render",
        "stall_s",
    )

    def __init__(
        self,
        ring: Ring,
        interest: Interest,
        outlet: Outlet,
        render: Render,
        *,
        history: History,
        stats: HubStats,
        observe: Observe | None = None,
        conflate: bool = True,
        after: Mapping[str, str] | None = None,
        stall_s: float = 30.0,
    ) -> None:
        self._ring, self.interest, self.outlet, self.render, self.observe = ring, interest, outlet, render, observe
        self._history, self._stats, self.conflate, self.stall_s = history, stats, conflate, stall_s
        self.cursor = ring.head  # the next ring position this client has to consider
        # True: the hub writes to it directly, as each item arrives (then `cursor` is not kept up to date:
        # the hub sets it when the client falls behind).
        self.live = False
        self.offsets: dict[str, str] = dict(after or {})  # per bot: it has everything up to here
        self._resume: dict[str, str] = dict(after or {})  # history still to read from the stream first
        self._seen = Seen(after)
        # While history and live events can overlap (after a read from the stream), each live item is
        # checked against what the client has; a client that never read history skips the check.
        self.checking = bool(after)
        self._signal: asyncio.Future[None] | None = None
        self.conflated = 0
        self._written = 0

    def seen(self, item: Item) -> bool:
        """False for an item the client already has (the hub's fast path asks while `checking`)."""
        return self._seen.remember(item)

    @property
    def settled(self) -> bool:
        return self._seen.settled

    def fall_behind(self, position: int, offsets: Mapping[str, str]) -> None:
        """The hub found no room for the item at ring `position`: `offsets` is what it had relayed before,
        so the client has all of it; from here its task drains the ring."""
        self.live = False
        self.cursor = position
        self.offsets.update(offsets)
        if self._signal is not None and not self._signal.done():
            self._signal.set_result(None)

    async def run(self, known_bots: Callable[[], Mapping[str, str]]) -> None:
        """Deliver until the client leaves (returns) or stalls (`ClientTooSlow`); `known_bots`: the bots
        the hub has relayed, each with its last offset (for a read from the stream past the ring)."""
        try:
            while True:
                if self._resume:
                    resume, self._resume = self._resume, {}
                    await self._read_history(resume)
                    self._seen.arm()
                    self.checking = True
                if self.cursor < self._ring.tail:
                    self._resume = self._resume_points(known_bots())
                    continue
                if not await self._drain():
                    continue  # the ring moved past it while it waited for room
                self.live = True
                self._signal = asyncio.get_running_loop().create_future()
                try:
                    await self._signal
                finally:
                    self._signal = None
        except OutletClosed:
            return

    def _resume_points(self, known: Mapping[str, str]) -> dict[str, str]:
        """Where to read the stream from, per bot the client wants: after what it has, or from the start
        for a bot it has had nothing of (its events all came while it was behind; `Seen` drops the rest)."""
        wanted = self.interest.bots if self.interest.bots is not None else {*known, *self.offsets}
        return {bot: self.offsets.get(bot, FROM_START) for bot in sorted(wanted)}

    async def _read_history(self, after: Mapping[str, str]) -> None:
        history = self._history(after, self.conflate)
        try:
            async for item in history:
                if self.interest.wants(item) and self._seen.remember(item):
                    await self._write(item, live=False)
        finally:
            await history.aclose()

    async def _drain(self) -> bool:
        """The ring from the cursor to its head; False when the ring moved past the cursor meanwhile."""
        ring = self._ring
        while self.cursor < ring.head:
            if self.cursor < ring.tail:
                return False
            position = self.cursor
            item = ring[position]
            self.cursor = position + 1
            if not self.interest.wants(item):
                continue
            if self.conflate and ring.superseded(position, item):
                self.conflated += 1
                self._stats.conflated += 1
                continue
            if self._seen.remember(item):
                await self._write(item, live=True)
        return True

    async def _write(self, item: Item, *, live: bool) -> None:
        text = self.render(item)
        if text is not None:
            if not self.outlet.ready():
                await self._wait_ready()
            self.outlet.write_text(text)
            if self.observe is not None:
                self.observe(item, 1, live)
        if isinstance(item, Envelope):
            self.offsets[item.event.bot_id] = item.offset
        # A socket with room never suspends: yield now and then, or a long backlog would hold up every
        # other client and the accept loop (see ClientQueue.get).
        self._written += 1
        if self._written % FAIR_SHARE == 0:
            await asyncio.sleep(0)

    async def _wait_ready(self) -> None:
        try:
            async with asyncio.timeout(self.stall_s):
                open_ = await self.outlet.wait_ready()
        except TimeoutError:
            self._stats.cut_off += 1
            raise ClientTooSlow(0, self.offsets, f"client took no frame for {self.stall_s} s") from None
        if not open_:
            raise OutletClosed


def push_all(
    pushers: Collection[Pusher], position: int, item: Item, text: str | None, before: Mapping[str, str]
) -> int:
    """The hub's fast path: `item` (at ring `position`) to every live client of one interest; how many
    were written. `before`: per bot, the last offset relayed before `item`."""
    written = 0
    for pusher in tuple(pushers):
        if not pusher.live:
            continue  # its task drains the ring up to this item, and then it is live again
        if pusher.checking:  # whether it has the item already is asked only once it can take it
            if not pusher.outlet.ready():
                pusher.fall_behind(position, before)
            elif pusher.seen(item) and text is not None:
                pusher.outlet.write_text(text)
                written += 1
                pusher.checking = not pusher.settled
        elif text is None:
            continue
        elif pusher.outlet.try_write(text):
            written += 1
        else:
            pusher.fall_behind(position, before)
    return written
