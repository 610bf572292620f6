"""The recorder: every `trade_executed` on the bus, stored once in the Django database.

It reads through the process's Hub like any browser, resuming each bot after the offset stored with
its last recorded trade. Reading is at-least-once (a crash between reading and storing means the
same trades are read again), storing is idempotent (a trade's `event_id` is unique), and the
trades and the cursor of a batch are written in one transaction, so a restart resumes exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from contextlib import aclosing
from dataclasses import dataclass

from channels.db import database_sync_to_async

from tradewire_bus import FROM_START, ClientTooSlow, Hub, RedisBus, Resync
from tradewire_dashboard.market_precision import store_markets
from tradewire_dashboard.models import RecorderCursor
from tradewire_dashboard.storage import store
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Envelope, TradeExecuted, policy, stream_order

log = logging.getLogger("tradewire.dashboard.recorder")

# Trades per transaction, and at most one transaction per window while trades keep coming (a lone
# trade after a quiet spell is stored at once). Each transaction costs about six queries and a commit
# whatever its size. When the recorder shared the serving process, its batches held the GIL and were
# kept small (20 every 20 ms: browsers' p99 ~5 ms at 1000 trades/s); in its own process, at a lower CPU
# priority (`recorder_nice`), a larger batch delays no browser and costs less CPU per trade. The
# history page shows a trade at most a window later.
BATCH = 200
BATCH_WINDOW_S = 0.1
# Trades, and the markets' precision for the history and the admin (`market_precision`): each class says.
RECORDED_TYPES = policy.RECORDED


@dataclass
class RecorderStats:
    recorded: int = 0
    duplicates: int = 0
    resyncs: int = 0
    restarts: int = 0
    batches: int = 0
    quarantined: int = 0  # trades the database cannot hold, kept in QuarantinedTrade instead


def stored_cursors() -> dict[str, tuple[str, str]]:
    return {c.bot.bot_id: (c.epoch, c.offset) for c in RecorderCursor.objects.select_related("bot")}


class Recorder:
    def __init__(self, bus: RedisBus, hub: Hub) -> None:
        self._bus = bus
        self._hub = hub
        self.stats = RecorderStats()
        self._backoff = Backoff(bus.config.reconnect_min_s, bus.config.reconnect_max_s)
        self._stored_at = 0.0  # loop time when the last batch was taken
        self.healthy = False  # attached and storing; False after a failure until the next batch is stored

    async def run(self) -> None:
        while True:
            try:
                await self._record_until_cut_off()
            except ClientTooSlow as slow:
                log.warning("recorder fell behind (%s); resuming from its stored cursors", slow)
            except Exception:
                # A database or Redis failure: nothing read since the last commit is lost, because the
                # next attempt resumes from the stored cursors.
                log.exception("recorder failed; resuming from its stored cursors")
                self.healthy = False
                await self._backoff.wait()
            self.stats.restarts += 1

    async def _record_until_cut_off(self) -> None:
        # Only once the Hub's subscription is confirmed is a bot either on the bus already (and read
        # from its stream here) or sure to reach us live.
        await self._hub.ready.wait()
        # Each bot on the bus -> the offset after which to read; FROM_START when Redis lost its data.
        after = await self._bus.resume_points(await database_sync_to_async(stored_cursors)())
        known = set(after)
        log.info("recorder resuming %d bot(s): %s", len(after), after)
        loop = asyncio.get_running_loop()
        await self._latest_markets(after)
        async with self._hub.attach(types=RECORDED_TYPES, after=after) as queue:
            self.healthy = True
            while True:
                batch = await queue.get_many(BATCH)
                # At most one store per window while trades keep coming; a lone trade after a quiet
                # spell is stored at once.
                wait = self._stored_at + BATCH_WINDOW_S - loop.time()
                if wait > 0 and len(batch) < BATCH and not queue.replaying:
                    await asyncio.sleep(wait)
                    while len(batch) < BATCH and (item := queue.get_nowait()) is not None:
                        batch.append(item)
                self._stored_at = loop.time()
                for item in batch:
                    if isinstance(item, Resync):
                        self.stats.resyncs += 1
                        log.warning("recorder: history lost for %s: %s", item.bot_id or "every bot", item.reason)
                envelopes = [item for item in batch if isinstance(item, Envelope)]
                for bot in {e.event.bot_id for e in envelopes} - known:
                    # A bot that appeared after we listed the bots: what it published before we
                    # attached is only in its stream.
                    known.add(bot)
                    envelopes = await self._earlier_trades(bot, envelopes) + envelopes
                stored = await database_sync_to_async(store)(envelopes)
                self.stats.batches += 1
                self.stats.recorded += stored.new
                self.stats.duplicates += stored.duplicates
                self.stats.quarantined += stored.quarantined
                self.healthy = True
                self._backoff.reset()

    async def _latest_markets(self, bots: Iterable[str]) -> None:
        """Each bot's latest markets from its snapshot: published before the stored cursor, they would
        not be read again."""
        events = []
        for bot in bots:
            try:
                snapshot = await self._bus.snapshot(bot)
            except Exception as error:  # a malformed bot's state must not stop the recording of the others
                log.warning("recorder: no snapshot of %s for its markets (%s)", bot, error)
                continue
            if snapshot.markets is not None:
                events.append(snapshot.markets)
        await database_sync_to_async(store_markets)(events)

    async def _earlier_trades(self, bot: str, envelopes: list[Envelope]) -> list[Envelope]:
        first = min(stream_order(e.offset) for e in envelopes if e.event.bot_id == bot)
        earlier = []
        async with aclosing(self._bus.replay(bot, FROM_START)) as history:
            async for item in history:
                if isinstance(item, Envelope):
                    if stream_order(item.offset) >= first:
                        break
                    if isinstance(item.event, TradeExecuted):
                        earlier.append(item)
        return earlier
