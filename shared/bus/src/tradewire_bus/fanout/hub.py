"""The Hub: one bus subscription per process, delivered to many clients; history asked for with `after`
comes first. Sockets (`attach_socket`) hold a cursor into one shared ring and are written to by the hub
itself while they keep up (pusher.py); other consumers (`attach`, the recorder) get a bounded queue each
(client_queue.py says what a slow one gets)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Collection, Mapping
from typing import Any, Generic, TypeVar

from tradewire_bus.bus import RedisBus
from tradewire_bus.fanout.client_queue import ClientQueue, HubStats, Interest, Item
from tradewire_bus.fanout.conflation import latest_only
from tradewire_bus.fanout.pusher import Observe, Outlet, Pusher, Render, push_all
from tradewire_bus.fanout.ring import Ring
from tradewire_bus.subscription import Resync
from tradewire_runtime.backoff import Backoff
from tradewire_runtime.logs import trace
from tradewire_schemas import Envelope

C = TypeVar("C", ClientQueue, Pusher)

log = logging.getLogger("tradewire.bus.fanout")

SUMMARY_EVERY_S = 60.0  # at info, how much was relayed: at most one line per this many seconds


class Hub:
    """`hub.run()` as a background task; per socket `async with hub.attach_socket(...) as pusher`, then
    `await pusher.run(hub.known_bots)`; per other consumer `async with hub.attach(...) as queue`."""

    def __init__(
        self,
        bus: RedisBus,
        *,
        max_pending: int = 10_000,
        conflate_after: int = 64,
        summary_every_s: float = SUMMARY_EVERY_S,
        ring_size: int = 4096,
    ) -> None:
        self._bus = bus
        self.summary_every_s = summary_every_s
        self.max_pending = max_pending
        self.conflate_after = conflate_after
        # Clients by what they want: each live item is matched once per distinct interest, not per client
        # (1000 sockets on the same bot and types share one; the match was 5 % of the CPU at 1000 clients).
        self._clients: dict[Interest, set[ClientQueue]] = {}
        # Sockets, grouped the same way and by how their server renders and counts (each item rendered once
        # per group); they share one ring of the last `ring_size` items.
        self._sockets: dict[tuple[Interest, Render, Observe | None], set[Pusher]] = {}
        self._ring = Ring(ring_size)
        self._last_offsets: dict[str, str] = {}  # per bot: the offset of the last event relayed
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
        return sum(len(queues) for queues in self._clients.values()) + sum(map(len, self._sockets.values()))

    def known_bots(self) -> Mapping[str, str]:
        """Every bot relayed since the hub started, with the offset of its last event."""
        return self._last_offsets

    def _offer(self, item: Item) -> None:
        for interest, queues in tuple(self._clients.items()):
            if interest.wants(item):
                for client in tuple(queues):
                    client.offer_wanted(item)
        position = self._ring.append(item)
        for (interest, render, observe), pushers in tuple(self._sockets.items()):
            if interest.wants(item):
                written = push_all(pushers, position, item, render(item), self._last_offsets)
                if written and observe is not None:
                    observe(item, written, True)
        if isinstance(item, Envelope):
            self._last_offsets[item.event.bot_id] = item.offset
        elif item.bot_id is None:
            self._last_offsets.clear()  # a resync: the offsets before it mean nothing now
        else:
            self._last_offsets.pop(item.bot_id, None)

    def attach(
        self,
        bots: Collection[str] | None = None,
        types: Collection[str] | None = None,
        after: Mapping[str, str] | None = None,
        *,
        conflate: bool = True,
    ) -> Attachment[ClientQueue]:
        """`async with hub.attach(...) as queue`: a queue of the chosen bots' and types' events; with
        `after`, missed ones come first, in order.

        The one resume path of every server: the history after each bot's offset is read page by page
        only as fast as the client takes items (however long it was away, it costs no memory), live
        events arriving meanwhile are held and follow it, and nothing at or before `after` is handed out.
        `conflate=False`: every event, in history and live, gap-free in seq (a slow client is cut off
        sooner, as its prices now count against `max_pending`)."""
        queue = ClientQueue(
            Interest.of(bots, types),
            max_pending=self.max_pending,
            conflate_after=self.conflate_after,
            hub_stats=self.stats,
            conflate=conflate,
            covered=after,
        )
        return Attachment(self, queue, after)

    def attach_socket(
        self,
        outlet: Outlet,
        render: Render,
        bots: Collection[str] | None = None,
        types: Collection[str] | None = None,
        after: Mapping[str, str] | None = None,
        *,
        conflate: bool = True,
        observe: Observe | None = None,
        stall_s: float = 30.0,
    ) -> Attachment[Pusher]:
        """`async with hub.attach_socket(...) as pusher`: like `attach`, for a socket the hub writes to
        (`render`'s text) while it keeps up; `await pusher.run(hub.known_bots)` delivers until it leaves.
        Nothing is written before `run` (a server sends its own first frames); `observe(item, n, live)`
        counts what was written. `render` and `observe` group sockets: pass the same ones for all."""
        pusher = Pusher(
            self._ring,
            Interest.of(bots, types),
            outlet,
            render,
            history=self._history,
            stats=self.stats,
            observe=observe,
            conflate=conflate,
            after=after,
            stall_s=stall_s,
        )
        return Attachment(self, pusher, None)

    def _register(self, client: ClientQueue | Pusher) -> None:
        if isinstance(client, Pusher):
            client.cursor = self._ring.head  # everything from here on, then; what came before is history
            self._sockets.setdefault((client.interest, client.render, client.observe), set()).add(client)
        else:
            self._clients.setdefault(client.interest, set()).add(client)
        self.stats.clients = self.clients

    def _forget(self, client: ClientQueue | Pusher) -> None:
        groups: dict[object, set[Any]] = self._sockets if isinstance(client, Pusher) else self._clients  # type: ignore[assignment]
        key = (client.interest, client.render, client.observe) if isinstance(client, Pusher) else client.interest
        same = groups.get(key)
        if same is not None:
            same.discard(client)
            if not same:
                del groups[key]
        self.stats.clients = self.clients


class Attachment(Generic[C]):
    """What `Hub.attach` returns: a class, not an `asynccontextmanager`, because an idle client stays
    inside it for its whole life, and the generator-based one kept a generator frame and its wrapper
    (~0.5 KB) per socket."""

    __slots__ = ("_after", "_hub", "_queue")

    def __init__(self, hub: Hub, queue: C, after: Mapping[str, str] | None) -> None:
        self._hub = hub
        self._queue: C = queue
        self._after = after

    async def __aenter__(self) -> C:
        hub, queue = self._hub, self._queue
        await hub.ready.wait()
        if self._after and isinstance(queue, ClientQueue):
            queue.replay_first(hub._history(self._after, queue.conflate))
        # Registered before any history is read, so nothing published from now on can fall between the two.
        hub._register(queue)
        self._after = None
        return queue

    async def __aexit__(self, *exc: object) -> None:
        self._hub._forget(self._queue)
        if isinstance(self._queue, ClientQueue):
            await self._queue.aclose()
