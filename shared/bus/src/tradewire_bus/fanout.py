"""Fan-out: one bus subscription per process, delivered to many clients, each with its own queue.

A slow client must never delay the others, and must never lose a trade. So every client has a
bounded queue that the hub fills without waiting:
- price, stats and heartbeat updates are conflated (a newer one replaces the pending older one of the
  same bot) once the client has fallen `conflate_after` items behind, unless the client asked for
  every event (`conflate=False`): then they count as undroppable too, and its seq has no gaps;
- trades, status changes and command results are never dropped: if more than `max_pending` of them
  pile up, the client is cut off with `ClientTooSlow` and can resume from its last offset.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tradewire_bus.backoff import Backoff
from tradewire_bus.bus import RedisBus
from tradewire_bus.conflation import CONFLATABLE
from tradewire_bus.logs import trace
from tradewire_bus.subscription import Resync
from tradewire_schemas import Envelope

log = logging.getLogger("tradewire.bus.fanout")

Item = Envelope | Resync

FAIR_SHARE = 32  # items a taker gets in a row before it yields to the event loop (see ClientQueue.get)
# Worth following across services by id (docs/deployment.md, "Following one id"): at info the rare facts an
# operator acts on, trades at debug (at a trade a second they were half of all log lines).
TRACED = frozenset({"trade_executed", "status_change", "command_result"})
OPERATOR_FACTS = frozenset({"status_change", "command_result"})
SUMMARY_EVERY_S = 60.0  # at info, how much was relayed: at most one line per this many seconds


class ClientTooSlow(Exception):
    """The client fell too far behind; close it and let it resume from `offsets`."""

    def __init__(self, pending: int, offsets: Mapping[str, str]) -> None:
        super().__init__(f"client fell {pending} undroppable events behind; resume from its last offsets")
        self.pending = pending
        self.offsets = dict(offsets)


@dataclass(frozen=True)
class Interest:
    bots: frozenset[str] | None = None
    types: frozenset[str] | None = None

    def wants(self, item: Item) -> bool:
        if isinstance(item, Resync):
            return item.bot_id is None or self.bots is None or item.bot_id in self.bots
        event = item.event
        return (self.bots is None or event.bot_id in self.bots) and (self.types is None or event.type in self.types)


@dataclass
class HubStats:
    relayed: int = 0
    clients: int = 0
    conflated: int = 0
    cut_off: int = 0


class ClientQueue:
    def __init__(
        self,
        interest: Interest,
        *,
        max_pending: int,
        conflate_after: int,
        hub_stats: HubStats | None = None,
        conflate: bool = True,
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
        self._wakeup = asyncio.Event()
        self._last_seq: dict[str, int] = {}  # per bot: drops what a resume already replayed
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

    def offer(self, item: Item) -> None:
        """Called by the hub for every live item; never blocks."""
        if self._overflow is not None or not self.interest.wants(item):
            return
        if self._held is not None:
            if len(self._held) >= self.max_pending:
                self._cut_off()  # the resume cannot catch up with live events; it resumes later, further on
                return
            self._held.append(item)
            return
        self._enqueue(item)

    def _enqueue(self, item: Item) -> None:
        if not self._remember(item):
            return
        if isinstance(item, Envelope):
            event = item.event
            key = (event.bot_id, event.type)
            if self.conflate and event.type in CONFLATABLE and len(self._items) >= self.conflate_after:
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
        if self.conflate and isinstance(item, Envelope) and item.event.type in CONFLATABLE:
            self._pending_key[(item.event.bot_id, item.event.type)] = self._counter
        self._wakeup.set()

    def _cut_off(self) -> None:
        self._hub_stats.cut_off += 1
        self._overflow = ClientTooSlow(len(self._items), self.offsets)
        self._items.clear()
        self._pending_key.clear()
        self._wakeup.set()

    def replay_first(self, history: AsyncGenerator[Item, None]) -> None:
        """Hand out `history` before any live item; it is read only as fast as the client takes items,
        so a resume after a long absence costs no memory, however much was missed."""
        self._replay = history
        self._held = []

    def _remember(self, item: Item) -> bool:
        """Track what the client has had; False for an event it already got (replay and live overlap)."""
        if isinstance(item, Resync):
            # What follows restarts that bot's history; old sequence numbers mean nothing now.
            if item.bot_id is None:
                self._last_seq.clear()
            else:
                self._last_seq.pop(item.bot_id, None)
            return True
        event = item.event
        if event.seq <= self._last_seq.get(event.bot_id, 0):
            return False
        self._last_seq[event.bot_id] = event.seq
        return True

    async def aclose(self) -> None:
        """Stop reading history the client will no longer take."""
        replay, self._replay = self._replay, None
        if replay is not None:
            await replay.aclose()

    async def _next_replayed(self) -> Item | None:
        assert self._replay is not None
        async for item in self._replay:
            if self.interest.wants(item) and self._remember(item):
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
        while len(items) < limit:
            if self._replay is not None and self._overflow is None:
                replayed = await self._next_replayed()
                if replayed is not None:
                    items.append(replayed)
                continue  # None: the history ended and the events held meanwhile are queued now
            item = self.get_nowait()
            if item is None:
                break
            items.append(item)
        return items

    async def get(self) -> Item:
        # A send to a socket with room in its buffer does not suspend, so a taker with a backlog (a
        # resume, a burst) would loop here without ever yielding: every other client, and the server's
        # accept loop, would wait until its backlog is gone. Yielding every FAIR_SHARE items keeps the
        # event loop turning; seen as a reconnect storm where hundreds of handshakes timed out.
        self._handed_in_a_row += 1
        if self._handed_in_a_row >= FAIR_SHARE:
            self._handed_in_a_row = 0
            await asyncio.sleep(0)
        while True:
            if self._replay is not None and self._overflow is None:
                replayed = await self._next_replayed()
                if replayed is not None:
                    return replayed
                continue
            item = self.get_nowait()
            if item is not None:
                return item
            self._wakeup.clear()
            self._handed_in_a_row = 0
            await self._wakeup.wait()


class Hub:
    """`hub.run()` as a background task; `async with hub.attach(...) as queue` per client."""

    def __init__(
        self,
        bus: RedisBus,
        *,
        max_pending: int = 10_000,
        conflate_after: int = 64,
        summary_every_s: float = SUMMARY_EVERY_S,
    ) -> None:
        self._bus = bus
        self.summary_every_s = summary_every_s
        self.max_pending = max_pending
        self.conflate_after = conflate_after
        self._clients: set[ClientQueue] = set()
        self.ready = asyncio.Event()
        self.stats = HubStats()

    async def run(self) -> None:
        """Relay forever. The subscription survives Redis outages by itself; anything else that breaks
        it is logged, the clients are told to resync, and a fresh subscription takes over."""
        backoff = Backoff(self._bus.config.reconnect_min_s, self._bus.config.reconnect_max_s)
        while True:
            try:
                await self._relay()
            except Exception as error:  # a broken key or a bug must not silence every client for good
                log.exception("hub subscription failed; starting a new one")
                self._offer(Resync(bot_id=None, reason=f"the event hub restarted after an error: {error}"))
                await backoff.wait()

    async def _relay(self) -> None:
        async with self._bus.subscribe() as events:
            self.ready.set()
            log.info("hub subscribed to every bot's events")
            window: Counter[str] = Counter()
            window_began = time.monotonic()
            async for item in events:
                self.stats.relayed += 1
                self._offer(item)
                if isinstance(item, Envelope):
                    window[item.event.type] += 1
                if (now := time.monotonic()) - window_began >= self.summary_every_s:
                    self._summarise(window, now - window_began)
                    window.clear()
                    window_began = now
                if isinstance(item, Envelope) and item.event.type in TRACED:
                    event = item.event
                    log.log(
                        logging.INFO if event.type in OPERATOR_FACTS else logging.DEBUG,
                        "relayed %s to %d clients",
                        event.type,
                        len(self._clients),
                        extra=trace(
                            bot_id=event.bot_id,
                            event_id=event.event_id,
                            offset=item.offset,
                            command_id=getattr(event, "command_id", None),
                        ),
                    )

    def _summarise(self, window: Counter[str], seconds: float) -> None:
        if window:
            kinds = ", ".join(f"{kind} {count}" for kind, count in window.most_common())
            log.info(
                "relayed %d events in the last %.0f s to %d clients: %s",
                window.total(),
                seconds,
                len(self._clients),
                kinds,
            )

    async def _history(self, after: Mapping[str, str], conflate: bool) -> AsyncGenerator[Item, None]:
        for bot, offset in after.items():
            async for item in self._bus.replay(bot, offset, conflate=conflate):
                yield item

    def _offer(self, item: Item) -> None:
        for client in tuple(self._clients):
            client.offer(item)

    @asynccontextmanager
    async def attach(
        self,
        bots: Collection[str] | None = None,
        types: Collection[str] | None = None,
        after: Mapping[str, str] | None = None,
        *,
        conflate: bool = True,
    ) -> AsyncIterator[ClientQueue]:
        """A queue of the chosen bots' and types' events; with `after`, missed ones come first, in order.

        `conflate=False`: every event, in history and live, gap-free in seq (a slow client is cut off
        sooner, as its prices now count against `max_pending`)."""
        interest = Interest(
            bots=None if bots is None else frozenset(bots), types=None if types is None else frozenset(types)
        )
        queue = ClientQueue(
            interest,
            max_pending=self.max_pending,
            conflate_after=self.conflate_after,
            hub_stats=self.stats,
            conflate=conflate,
        )
        await self.ready.wait()
        if after:
            queue.replay_first(self._history(after, conflate))
        # Registered before any history is read, so nothing published from now on can fall between the two.
        self._clients.add(queue)
        self.stats.clients = len(self._clients)
        try:
            yield queue
        finally:
            self._clients.discard(queue)
            self.stats.clients = len(self._clients)
            await queue.aclose()
