"""The Hub: one bus subscription per process, delivered to many clients, each with its own bounded
queue (client_queue.py says what a slow client gets); history asked for with `after` comes first."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Collection, Mapping

from tradewire_bus.bus import RedisBus
from tradewire_bus.fanout.client_queue import ClientQueue, HubStats, Interest, Item
from tradewire_bus.fanout.conflation import latest_only
from tradewire_bus.subscription import Resync
from tradewire_runtime.backoff import Backoff
from tradewire_runtime.logs import trace
from tradewire_schemas import Envelope

log = logging.getLogger("tradewire.bus.fanout")

SUMMARY_EVERY_S = 60.0  # at info, how much was relayed: at most one line per this many seconds


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
        # Clients by what they want: each live item is matched once per distinct interest, not per client
        # (1000 sockets on the same bot and types share one; the match was 5 % of the CPU at 1000 clients).
        self._clients: dict[Interest, set[ClientQueue]] = {}
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
                # Followed across services by id (docs/deployment.md, "Following one id"); each event
                # class says whether and at which level (`EventBase.traced`).
                if isinstance(item, Envelope) and (level := item.event.traced) is not None:
                    event = item.event
                    log.log(
                        logging.INFO if level == "info" else logging.DEBUG,
                        "relayed %s to %d clients",
                        event.type,
                        self.stats.clients,
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
                self.stats.clients,
                kinds,
            )

    async def _history(self, after: Mapping[str, str], conflate: bool) -> AsyncGenerator[Item, None]:
        """Each bot's history after its offset, page by page; with `conflate`, the price, stats and
        heartbeat updates superseded within a page are left out (`latest_only`)."""
        for bot, offset in after.items():
            async for page in self._bus.replay_pages(bot, offset):
                if isinstance(page, Resync):
                    yield page
                    continue
                for envelope in latest_only(page) if conflate else page:
                    yield envelope

    @property
    def clients(self) -> int:
        return sum(len(queues) for queues in self._clients.values())

    def _offer(self, item: Item) -> None:
        for interest, queues in tuple(self._clients.items()):
            if interest.wants(item):
                for client in tuple(queues):
                    client.offer_wanted(item)

    def attach(
        self,
        bots: Collection[str] | None = None,
        types: Collection[str] | None = None,
        after: Mapping[str, str] | None = None,
        *,
        conflate: bool = True,
    ) -> Attachment:
        """`async with hub.attach(...) as queue`: a queue of the chosen bots' and types' events; with
        `after`, missed ones come first, in order.

        The one resume path of every server: the history after each bot's offset is read page by page
        only as fast as the client takes items (however long it was away, it costs no memory), live
        events arriving meanwhile are held and follow it, and nothing at or before `after` is handed out.
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
            covered=after,
        )
        return Attachment(self, queue, after)

    def _register(self, queue: ClientQueue) -> None:
        self._clients.setdefault(queue.interest, set()).add(queue)
        self.stats.clients = self.clients

    def _forget(self, queue: ClientQueue) -> None:
        same = self._clients.get(queue.interest)
        if same is not None:
            same.discard(queue)
            if not same:
                del self._clients[queue.interest]
        self.stats.clients = self.clients


class Attachment:
    """What `Hub.attach` returns: a class, not an `asynccontextmanager`, because an idle client stays
    inside it for its whole life, and the generator-based one kept a generator frame and its wrapper
    (~0.5 KB) per socket."""

    __slots__ = ("_after", "_hub", "_queue")

    def __init__(self, hub: Hub, queue: ClientQueue, after: Mapping[str, str] | None) -> None:
        self._hub, self._queue, self._after = hub, queue, after

    async def __aenter__(self) -> ClientQueue:
        hub, queue = self._hub, self._queue
        await hub.ready.wait()
        if self._after:
            queue.replay_first(hub._history(self._after, queue.conflate))
        # Registered before any history is read, so nothing published from now on can fall between the two.
        hub._register(queue)
        self._after = None
        return queue

    async def __aexit__(self, *exc: object) -> None:
        self._hub._forget(self._queue)
        await self._queue.aclose()
