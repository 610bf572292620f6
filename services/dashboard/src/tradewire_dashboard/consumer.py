"""The control room's WebSocket: an initial `status` per bot, then only pushes from the bus.

The consumer never polls. After the snapshot it attaches to the process's one `Hub` (a single bus
subscription shared by every browser) and relays what arrives. Commands from the browser become bus
commands; their result comes back as `bot_control`, to the asker. Every other control room learns of a
start or stop from the bus itself: the trader's `status_change` names who did it ("stopped by carol").
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from tradewire_bus import BusError, ClientTooSlow, CommandTimeout, NoTraderListening, Resync
from tradewire_dashboard import browser_messages as out
from tradewire_dashboard.browser_messages import BadBrowserInput, BrowserCommand, parse_browser_command
from tradewire_dashboard.performance_book import Recorded
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_dashboard.trade_performance import row_of
from tradewire_dashboard.websocket_auth import has_perm_uncached
from tradewire_runtime.lean_websocket import OUTLET
from tradewire_runtime.logs import trace
from tradewire_runtime.rate_limit import RateLimited
from tradewire_schemas import commands, is_bot_id, is_stream_offset, stream_order

log = logging.getLogger("tradewire.dashboard.consumer")

CONTROL_PERMISSION = "dashboard.control_bot"
# Close codes the browser understands (4000-4999 are the application's own range).
CLOSE_LOGIN_REQUIRED = 4401
CLOSE_TOO_SLOW = 4008
CLOSE_BUS_FAILED = 1011
# Events read from a bot's stream to find the trades its recorded figures lack (see `_performance`).
GAP_EVENTS = 500


def resume_offsets(query_string: bytes) -> dict[str, str]:
    """`?after=alpha:1700000000000-0,beta:...` -> {bot: offset}; anything malformed is left out."""
    offsets: dict[str, str] = {}
    for value in parse_qs(query_string.decode(errors="replace")).get("after", []):
        for pair in value.split(","):
            bot, _, offset = pair.partition(":")
            # The schemas' rules: a bad offset once reached Redis, failed there and closed the socket.
            if is_bot_id(bot) and is_stream_offset(offset):
                offsets[bot] = offset
    return offsets


class ControlRoomConsumer(AsyncWebsocketConsumer):
    runtime: DashboardRuntime
    actor: str
    can_control: bool

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accepted only to be closed with a code the page understands (its session is gone: go
            # and log in), instead of a refused handshake it would retry for ever. Nothing is sent.
            await self.accept()
            await self.close(code=CLOSE_LOGIN_REQUIRED)
            return
        self.runtime = self.scope["tradewire"]
        self.actor = user.get_username()[:128]
        self.can_control = await database_sync_to_async(has_perm_uncached)(user, CONTROL_PERMISSION)
        self._tasks: set[asyncio.Task[None]] = set()
        await self.accept()
        self.runtime.stats.connections += 1
        self._pump = asyncio.create_task(self._relay(resume_offsets(self.scope.get("query_string", b""))))

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "_pump"):
            return
        self._pump.cancel()
        for task in self._tasks:
            task.cancel()
        self.runtime.stats.connections -= 1

    async def push(self, message: out.Message) -> None:
        await self.send(text_data=out.dumps(message))

    # -- bus -> browser ---------------------------------------------------------------------------

    async def _relay(self, resume: dict[str, str]) -> None:
        try:
            after = await self._send_initial_status(resume)
            # The hub replays what the browser missed after each point, paced by this socket, then live
            # events; nothing at or before a point (its resume offset or its status snapshot) comes again.
            if (outlet := self.scope.get(OUTLET)) is not None:
                # The hub writes each frame to this browser itself while it keeps up (no queue, task switch
                # or await per frame); this task only drains a backlog from the hub's ring.
                hub = self.runtime.hub
                pushed = hub.attach_socket(
                    outlet, self.runtime.browser_text, types=out.RELAYED_EVENT_TYPES, after=after
                )
                async with pushed as pusher:
                    await pusher.run(hub.known_bots)
                return
            async with self.runtime.hub.attach(types=out.RELAYED_EVENT_TYPES, after=after) as queue:
                while True:
                    item = await queue.get()
                    if isinstance(item, Resync):
                        await self.push(out.for_resync(item))
                    elif (text := self.runtime.browser_texts.get(item)) is not None:
                        # Straight to the server's send (websocket_auth passes it through unwrapped):
                        # Channels' send(text_data=) adds two awaits and a message dict per delivery.
                        await self.base_send({"type": "websocket.send", "text": text})
        except ClientTooSlow as slow:
            self.runtime.stats.cut_off += 1
            log.warning("browser of %s fell behind and was cut off: %s", self.actor, slow)
            await self.close(code=CLOSE_TOO_SLOW)
        except OSError as gone:
            # The browser left while we wrote to it (a reload during its first messages): the server says
            # so with ClientDisconnected, an OSError. Not a failure of the relay: no traceback.
            log.info("browser of %s left while being sent to (%s)", self.actor, type(gone).__name__)
        except BusError as error:  # the bus raises BusUnavailable for Redis away, never redis-py's own
            log.warning("bus failed while serving %s: %s", self.actor, error)
            await self.push(out.error(f"the event bus is unavailable ({error}); reconnecting"))
            await self.close(code=CLOSE_BUS_FAILED)
        except Exception:
            # Never leave a browser connected to a relay that has stopped: it would wait for ever.
            log.exception("relay to %s failed", self.actor)
            await self.close(code=CLOSE_BUS_FAILED)

    async def _send_initial_status(self, resume: dict[str, str]) -> dict[str, str]:
        """Per bot its recent candles (the chart's history), one `status` from its snapshot and what its
        recorded trades add up to (`performance`); returns where the live relay must continue. A candle
        closing meanwhile arrives live, after them."""
        after = dict(resume)
        history = self.runtime.settings.chart_candles
        bots = await self.runtime.bus.bots()
        # Read before the snapshots, so each bot's `through` is at or before its status; one worker-thread
        # call for every bot, which folds in only the trades recorded since the last connect (PerformanceBook).
        recorded = await self.runtime.performance.texts_for(bots)
        for bot in bots:
            if history and (candles := await self.runtime.bus.candles(bot, limit=history)):
                await self.push(out.for_candles(bot, candles))
            snapshot = await self.runtime.bus.snapshot(bot)
            await self.push(out.for_snapshot(snapshot))
            await self.send(text_data=await self._performance(bot, recorded[bot], snapshot.offset))
            if bot not in after and snapshot.offset is not None:
                after[bot] = snapshot.offset
        return after

    async def _performance(self, bot: str, recorded: Recorded, snapshot_offset: str | None) -> str:
        """The bot's figures through its snapshot: the live relay starts after the snapshot, so trades the
        recorder has yet to store (it stores a batch at most every 100 ms) are read from the bus and
        folded in; else the page would miss them until it reconnects. Skipped (as before) when nothing
        was recorded yet or more than a page of events lies between (a recorder far behind)."""
        through = recorded.through
        if through is None or snapshot_offset is None or stream_order(snapshot_offset) <= stream_order(through):
            return recorded.text
        events = await self.runtime.bus.history(bot, after=through, limit=GAP_EVENTS)
        if not events or (
            len(events) == GAP_EVENTS and stream_order(events[-1].offset) < stream_order(snapshot_offset)
        ):
            return recorded.text
        last = stream_order(snapshot_offset)
        rows = [row for e in events if stream_order(e.offset) <= last and (row := row_of(e)) is not None]
        return await self.runtime.performance.text_with_for(bot, rows) if rows else recorded.text

    # -- browser -> bus ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            command = parse_browser_command(text_data, self.runtime.settings.max_command_bytes)
        except BadBrowserInput as bad:
            self.runtime.stats.rejected_frames += 1
            log.info("rejected a frame from %s: %s", self.actor, bad)
            await self.push(out.error(str(bad)))
            return
        if command.command != "request_status" and not self.can_control:
            await self.push(
                out.bot_control(
                    command,
                    outcome="forbidden",
                    actor=self.actor,
                    message=f"{self.actor} may not {command.command.replace('_', ' ')}: "
                    f"the '{CONTROL_PERMISSION}' permission is required",
                )
            )
            return
        if refusal := self._limit():
            self.runtime.stats.commands_limited += 1
            await self.push(out.bot_control(command, outcome="rate_limited", actor=self.actor, message=refusal))
            return
        if command.command == "request_status":
            snapshot = await self.runtime.bus.snapshot(command.bot_id)
            if snapshot.offset is None:
                await self.push(out.error(f"no bot {command.bot_id!r} has published on the bus"))
            else:
                await self.push(out.for_snapshot(snapshot))
        task = asyncio.create_task(self._send_command(command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _limit(self) -> str | None:
        """Why this command may not be sent now, or None (taking one from the user's allowance)."""
        if len(self._tasks) >= self.runtime.settings.commands_in_flight:
            return "too many commands waiting on this connection; wait for an answer"
        try:
            self.runtime.limiter.acquire(self.actor)
        except RateLimited as error:
            return str(error)
        return None

    async def _send_command(self, command: BrowserCommand) -> None:
        fields: dict[str, str | None] = {"type": command.command, "bot_id": command.bot_id, "actor": self.actor}
        if command.command == "close_position":
            fields["symbol"] = command.symbol  # None closes every position
        bus_command = commands.validate_python(fields)
        self.runtime.stats.commands_sent += 1
        outcome: str
        try:
            result = await self.runtime.bus.send_command(bus_command)
            outcome, message = result.outcome, result.message
        except NoTraderListening as error:
            outcome, message = "offline", str(error)
        except CommandTimeout as error:
            outcome, message = "timeout", str(error)
        except BusError as error:
            outcome, message = "unavailable", str(error)
        log.info(
            "%s for %s by %s: %s",
            command.command,
            command.bot_id,
            self.actor,
            outcome,
            extra=trace(command_id=bus_command.command_id, bot_id=command.bot_id),
        )
        answer = out.bot_control(
            command, outcome=outcome, message=message, actor=self.actor, command_id=str(bus_command.command_id)
        )
        await self.push(answer)
