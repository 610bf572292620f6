"""`/ws`: events out (from the process's one hub), old-style commands in, one `EventSocket` per client.

Close codes: 1008 missing/unknown token or no read scope; 1009 frame too large; 1011 gateway fault;
1013 too slow or event bus unreachable (reconnect and resume with `after`); 4400 bad query string.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, MutableMapping
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from tradewire_bus import BusUnavailable, Hub
from tradewire_gateway.auth import SUBPROTOCOL, Principal, bearer_token, token_from_subprotocols
from tradewire_gateway.frames import CommandFrame, SubscribedFrame
from tradewire_gateway.runtime import Runtime
from tradewire_gateway.settings import Scope
from tradewire_gateway.snapshots import snapshots
from tradewire_gateway.socket_commands import SocketCommands
from tradewire_gateway.socket_relay import TOO_SLOW, Close, SocketRelay
from tradewire_gateway.subscription_request import SubscriptionRequest
from tradewire_runtime.lean_websocket import OUTLET

log = logging.getLogger("tradewire.gateway.ws")

CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_FAULT, CLOSE_TRY_AGAIN, CLOSE_BAD_REQUEST = 1008, 1009, 1011, 1013, 4400
HUB_READY_WAIT_S = 5.0

BUS_AWAY: Close = (CLOSE_TRY_AGAIN, "event bus unreachable; retry shortly")
REDIS_AWAY = BusUnavailable  # all the bus raises for Redis being away: redis-py's errors stay inside it


class _Gone(Exception):
    """The client left while we were sending."""


class _Stuck(Exception):
    """The client took no frame within the send timeout: its TCP window stayed full."""


PATH = "/ws"
RAW_SEND = "tradewire.send"  # the scope key ServesEventSockets stores the server's own `send` under


class ServesEventSockets(FastAPI):
    """The gateway's app: FastAPI for everything but `/ws`, which it serves itself, ahead of FastAPI.

    Each idle socket keeps the awaits it is suspended in: through Starlette's error and exception
    middleware, FastAPI's exit stacks, router, route and dependency wrappers that was ~15 KB of
    coroutine frames per socket (two fifths of what one held), for a route with no dependencies and
    its own error handling. It also keeps the server's own `send` in the scope, so event frames go to
    it directly: Starlette's `WebSocket.send_text` checks its state and passes each frame through the
    exception handler's wrapper, ~10 % of the gateway's CPU at 1000 clients. Accept, receive and close
    still go through Starlette's `WebSocket`."""

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"] == PATH:
            scope["app"] = self  # what Starlette sets, for `websocket.app.state`
            scope[RAW_SEND] = send
            await events_socket(WebSocket(scope, receive, send))
            return
        await super().__call__(scope, receive, send)


async def events_socket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    offered = websocket.scope.get("subprotocols") or []
    token = bearer_token(websocket.headers.get("authorization")) or token_from_subprotocols(offered)
    # Accept first, so a refused client sees a close code (1008) rather than a bare HTTP 403.
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    principal = runtime.tokens.identify(token)
    if principal is None:
        await websocket.close(CLOSE_POLICY, "missing or unknown token")
        return
    if not principal.may(Scope.READ):
        await websocket.close(CLOSE_POLICY, f"token {principal.name!r} lacks the read scope")
        return
    try:
        params = websocket.query_params
        request = SubscriptionRequest.parse({key: params.getlist(key) for key in params})
    except ValueError as error:
        await websocket.close(CLOSE_BAD_REQUEST, str(error)[:120])
        return
    runtime.metrics.clients.inc()
    try:
        await EventSocket(websocket, runtime, principal, request).serve()
    finally:
        runtime.metrics.clients.dec()


class EventSocket(SocketCommands, SocketRelay):
    """One client's conversation: events out (`_relay`), command frames in (`_listen`; `SocketCommands`)."""

    def __init__(self, websocket: WebSocket, runtime: Runtime, principal: Principal, request: SubscriptionRequest):
        self._ws = websocket
        self._raw_send = websocket.scope.get(RAW_SEND)
        self._runtime = runtime
        self._metrics = runtime.metrics
        self._principal = principal
        self._request = request
        self._send_lock = asyncio.Lock()
        self._commands: set[asyncio.Task[None]] = set()
        self._conflated_seen = 0
        self._send_timeout_s = runtime.settings.ws_send_timeout_s
        # Set by the watchdog when a send stalled: a future, not a task waiting on an event (memory per socket).
        self._stuck: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # The send in progress, if any: (its task, when it began). Checked by the runtime's SendWatchdog.
        self._sending: tuple[asyncio.Task[Any], float] | None = None

    async def serve(self) -> None:
        hub = self._runtime.hub
        try:
            await asyncio.wait_for(hub.ready.wait(), HUB_READY_WAIT_S)
        except TimeoutError:
            await self._close(BUS_AWAY)
            return
        self._runtime.watchdog.watch(self)
        try:
            ending = await self._serve(hub)
        finally:
            self._runtime.watchdog.forget(self)
        await self._close(ending)

    async def _serve(self, hub: Hub) -> Close:
        try:
            after = dict(self._request.after)
            if self._request.snapshot:
                # A resumed bot keeps its own offset: the snapshot must not skip trades it has yet to see.
                after = await self._send_snapshots() | after
            attached_ms = time.time() * 1000
            # The hub replays what was missed after each offset, paced by this socket, then live events;
            # nothing at or before an offset (a resume point, a snapshot) is sent again.
            subscribed = SubscribedFrame(
                bots=_listed(self._request.bots),
                types=_listed(self._request.types),
                after=after,
                full=self._request.full,
            ).model_dump_json()
            outlet = self._ws.scope.get(OUTLET)
            if outlet is not None:
                # The hub writes each frame to this socket itself while it keeps up (no task, queue or
                # await per frame); this socket's task only drains a backlog, from the hub's ring.
                pushed = hub.attach_socket(
                    outlet,
                    self._runtime.frame_text,
                    self._request.bots,
                    self._request.types,
                    after or None,
                    conflate=not self._request.full,
                    observe=self._metrics.deliveries.observe,
                    stall_s=self._send_timeout_s,
                )
                async with pushed as pusher:
                    await self._send(subscribed)
                    ending = await self._converse(self._push(pusher))
                    self._count_conflated(pusher)
            else:  # another server's WebSocket (tests' clients): a queue per socket, read by its own task
                attach = hub.attach(
                    self._request.bots, self._request.types, after or None, conflate=not self._request.full
                )
                async with attach as queue:
                    await self._send(subscribed)
                    ending = await self._converse(self._relay(queue, attached_ms))
                    self._count_conflated(queue)
        except _Stuck:
            ending = TOO_SLOW
        except _Gone:
            ending = None
        except REDIS_AWAY as error:
            log.warning("WebSocket of %s: Redis unreachable: %s", self._principal.name, error)
            ending = BUS_AWAY
        except Exception:
            log.exception("WebSocket of %s failed", self._principal.name)
            ending = (CLOSE_FAULT, "gateway fault; reconnect and resume with after=")
        return ending

    async def _converse(self, relaying: Coroutine[Any, Any, Close]) -> Close:
        relay = asyncio.create_task(relaying)
        listen = asyncio.create_task(self._listen())
        stuck: asyncio.Future[Any] = self._stuck
        try:
            done, _ = await asyncio.wait({relay, listen, stuck}, return_when=asyncio.FIRST_COMPLETED)
            if stuck in done:
                return TOO_SLOW
            ending: Close = (relay if relay in done else listen).result()
            return ending
        finally:
            pending: list[asyncio.Future[Any]] = [relay, listen, stuck, *self._commands]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _send_snapshots(self) -> dict[str, str]:
        """Each bot's state first; its live events then continue right after the snapshot's offset."""
        resume: dict[str, str] = {}
        async for frame in snapshots(self._runtime.bus, self._request.bots):
            if not await self._send(frame.model_dump_json()):
                raise _Gone
            assert frame.offset is not None
            resume[frame.bot_id] = frame.offset
        return resume

    # -- out ---------------------------------------------------------------------------------------

    async def _send(self, text: str) -> bool:
        """False when the client has gone; `_Stuck` when it took nothing within the send timeout.

        The timeout is kept by the runtime's SendWatchdog, not by an `asyncio.timeout` around each send: that
        armed and cancelled a timer per frame, ~7% of the gateway's CPU at 1000 clients.
        """
        task = asyncio.current_task()
        assert task is not None
        try:
            async with self._send_lock:
                self._sending = (task, asyncio.get_running_loop().time())
                try:
                    if self._raw_send is not None:
                        await self._raw_send({"type": "websocket.send", "text": text})
                    else:
                        await self._ws.send_text(text)
                finally:
                    self._sending = None
            return True
        except asyncio.CancelledError:
            if self._stuck.done() and task.cancelling() == 1:
                task.uncancel()  # our watchdog's cancel, not the server's: end as too slow
                raise _Stuck from None
            raise
        except (WebSocketDisconnect, RuntimeError, OSError):
            return False

    def check_send(self, now: float, timeout_s: float) -> bool:
        """Cancel a send the client has not taken within the send timeout (its TCP window stayed full);
        called by the runtime's SendWatchdog. uvicorn waits for the socket to be writable before it
        writes, so no partial frame is left."""
        sending = self._sending
        if sending is None or now - sending[1] < timeout_s:
            return False
        self._metrics.dropped.inc()
        log.warning("closing a client of %s: it took no frame for %ss", self._principal.name, timeout_s)
        if not self._stuck.done():
            self._stuck.set_result(None)
        sending[0].cancel()
        return True

    async def _close(self, ending: Close) -> None:
        if ending is None:
            return
        # A stalled client cannot take even the close frame; then uvicorn closes the socket once we return.
        # The client may be gone already (WebSocketDisconnect): there is nobody left to tell.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            async with asyncio.timeout(self._send_timeout_s):
                await self._ws.close(*ending)

    # -- in ----------------------------------------------------------------------------------------

    async def _listen(self) -> Close:
        limit = self._runtime.settings.ws_max_message_bytes
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return None
            text = message.get("text")
            if text is None:
                await self._refuse("malformed", "binary frames are not accepted; send JSON text")
                continue
            if len(text) > limit or len(text.encode()) > limit:
                self._metrics.frames_rejected.labels(reason="too_big").inc()
                return CLOSE_TOO_BIG, f"frames are limited to {limit} bytes"
            await self._on_text(text)

    async def _command(self, frame: CommandFrame, bot_id: str) -> None:
        with contextlib.suppress(_Stuck):  # then the conversation is ending already
            await self._send(await self._answer(frame, bot_id))


def _listed(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)
