"""One client's bounded queue, filled by the Hub without waiting and emptied by the client.

A slow client must never delay the others, and must never lose a trade:
- price, stats and heartbeat updates are conflated (a newer one replaces the pending older one of the
  same bot) once the client has fallen `conflate_after` items behind, unless the client asked for
  every event (`conflate=False`): then they count as undroppable too, and its seq has no gaps;
- trades, status changes and command results are never dropped: if more than `max_pending` of them
  pile up, the client is cut off with `ClientTooSlow` and can resume from its last offset.

What the client already has is never handed out again: per bot, nothing at or before the offset it
resumed after (`covered`: a resume point or a snapshot), and nothing at or below the last `seq` it got
(history and live overlap while a resume is read).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncGenerator, Collection, Mapping
from dataclasses import dataclass

from tradewire_bus.fanout.seen import Seen
from tradewire_bus.subscription import Resync
from tradewire_schemas import Envelope

Item = Envelope | Resync

FAIR_SHARE = 32  # items a taker gets in a row before it yields to the event loop (see ClientQueue.get)


@dataclass
class HubStats:
    """What a hub's queues did, for its metrics."""

    relayed: int = 0
    clients: int = 0
    conflated: int = 0
    cut_off: int = 0


class ClientTooSlow(Exception):
    """The client fell too far behind; close it and let it resume from `offsets`."""

    def __init__(self, pending: int, offsets: Mapping[str, str], why: str | None = None) -> None:
        why = why or f"client fell {pending} undroppable events behind"
        super().__init__(f"{why}; resume from its last offsets")
        self.pending = pending
        self.offsets = dict(offsets)


@dataclass(frozen=True)
class Interest:
    bots: frozenset[str] | None = None
    types: frozenset[str] | None = None

    @classmethod
    def of(cls, bots: Collection[str] | None, types: Collection[str] | None) -> Interest:
        return cls(None if bots is None else frozenset(bots), None if types is None else frozenset(types))

    def wants(self, item: Item) -> bool:
        if isinstance(item, Resync):
            return item.bot_id is None or self.bots is None or item.bot_id in self.bots
        event = item.event
        return (self.bots is None or event.bot_id in self.bots) and (self.types is None or event.type in self.types)


class ClientQueue:
    def __init__(
        self,
        interest: Interest,
        *,
        max_pending: int,
        conflate_after: int,
        hub_stats: HubStats | None = None,
        conflate: bool = True,
        covered: Mapping[str, str] | None = None,
    ) -> None:
        self.interest = interest
        self.conflate = conflate
        self._hub_stats = hub_stats or HubStats()
        self.max_pending = max_pending
        self.conflate_after = conflate_after
        self.conflated = 0
        self._items: OrderedDict[int, Item] = OrderedDict()
        self._pending_key: dict[tuple[str, str], int] = {}  # (bot, type) -> its queued item's number
        self._counter = 0
        # The taker's wait, while it waits: a future made then, not an Event held for the socket's life
        # (an Event keeps a deque of ~0.7 KB; with 1000 idle sockets that adds up).
        self._waiter: asyncio.Future[None] | None = None
        self._seen = Seen(covered)  # drops what a resume point, a snapshot or a replay already covered
        self._replay: AsyncGenerator[Item, None] | None = None  # history still to hand out, read as the client reads
        self._held: list[Item] | None = None  # live items that arrived during a replay
        self._overflow: ClientTooSlow | None = None
        self.offsets: dict[str, str] = {}  # per bot: the offset of the last item taken
        self._handed_in_a_row = 0  # items handed out since the taker last had to wait

    def __len__(self) -> int:
        return len(self._items)

    @property
    def replaying(self) -> bool:
        """True while history asked for with `after` is still being handed out."""
        return self._replay is not None

    @property
    def cut_off(self) -> bool:
        return self._overflow is not None

    def offer_wanted(self, item: Item) -> None:
        """The hub's call for each live item this client's interest wants (asked once per interest); never blocks."""
        if self._overflow is not None:
            return
        if self._held is not None:
            if len(self._held) >= self.max_pending:
                self._cut_off()  # the resume cannot catch up with live events; it resumes later, further on
                return
            self._held.append(item)
            return
        self._enqueue(item)

    def _enqueue(self, item: Item) -> None:
        if not self._seen.remember(item):
            return
        if isinstance(item, Envelope):
            event = item.event
            key = (event.bot_id, event.type)
            if self.conflate and event.conflatable and len(self._items) >= self.conflate_after:
                older = self._pending_key.pop(key, None)
                if older is not None:
                    del self._items[older]
                    self.conflated += 1
                    self._hub_stats.conflated += 1
            if len(self._items) >= self.max_pending + len(self._pending_key):
                self._cut_off()
                return
        self._counter += 1
        self._items[self._counter] = item
        if self.conflate and isinstance(item, Envelope) and item.event.conflatable:
            self._pending_key[(item.event.bot_id, item.event.type)] = self._counter
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _cut_off(self) -> None:
        self._hub_stats.cut_off += 1
        self._overflow = ClientTooSlow(len(self._items), self.offsets)
        self._items.clear()
        self._pending_key.clear()
        self._wake()

    def replay_first(self, history: AsyncGenerator[Item, None]) -> None:
        """Hand out `history` before any live item; it is read only as fast as the client takes items,
        so a resume after a long absence costs no memory, however much was missed."""
        self._replay = history
        self._held = []

    async def aclose(self) -> None:
        """Stop reading history the client will no longer take."""
        replay, self._replay = self._replay, None
        if replay is not None:
            await replay.aclose()

    async def _next_replayed(self) -> Item | None:
        assert self._replay is not None
        async for item in self._replay:
            if self.interest.wants(item) and self._seen.remember(item):
                if isinstance(item, Envelope):
                    self.offsets[item.event.bot_id] = item.offset
                return item
        self._replay = None
        held, self._held = self._held or [], None
        for item in held:
            self._enqueue(item)
        return None

    def get_nowait(self) -> Item | None:
        if self._overflow is not None:
            raise self._overflow
        if not self._items:
            return None
        number, item = self._items.popitem(last=False)
        if isinstance(item, Envelope):
            key = (item.event.bot_id, item.event.type)
            if self._pending_key.get(key) == number:
                del self._pending_key[key]
            self.offsets[item.event.bot_id] = item.offset
        return item

    async def get_many(self, limit: int) -> list[Item]:
        """At least one item, then up to `limit` of those available without waiting for new events.

        History still to replay counts as available (reading it waits only for Redis), so a consumer
        that stores in batches (the dashboard's recorder) batches its catch-up too.
        """
        items = [await self.get()]
        while len(items) < limit and (item := await self._available()) is not None:
            items.append(item)
        return items

    async def _available(self) -> Item | None:
        """The next item without waiting for a live one: history first, then the queue."""
        while self._replay is not None and self._overflow is None:
            replayed = await self._next_replayed()
            if replayed is not None:
                return replayed
            # None: the history ended and the events held meanwhile are queued now
        return self.get_nowait()

    async def get(self) -> Item:
        # A send to a socket with room in its buffer does not suspend, so a taker with a backlog (a
        # resume, a burst) would loop here without ever yielding: every other client, and the server's
        # accept loop, would wait until its backlog is gone. Yielding every FAIR_SHARE items keeps the
        # event loop turning; seen as a reconnect storm where hundreds of handshakes timed out.
        self._handed_in_a_row += 1
        if self._handed_in_a_row >= FAIR_SHARE:
            self._handed_in_a_row = 0
            await asyncio.sleep(0)
        while (item := await self._available()) is None:
            self._handed_in_a_row = 0
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return item
