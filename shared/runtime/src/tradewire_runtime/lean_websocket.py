"""`lean_websocket_protocol()`: uvicorn's sans-I/O WebSocket protocol holding less per idle connection.

The gateway and the dashboard keep thousands of mostly idle sockets; per socket uvicorn kept an
`asyncio.Queue` of received messages (three deques and an Event: ~2.5 KB, for a queue that holds at
most a message or two, since uvicorn stops reading while one waits), an `asyncio.Event` for "writable"
(its waiters deque: ~0.6 KB), and the handshake's request and response with their headers (~3 KB, all
copied into the ASGI scope already). This subclass swaps the first two for a list and a flag that make
a future only while someone waits, and drops the handshake once it is answered. Everything else, the
frames on the wire included, is uvicorn's. Pass the class as `uvicorn.run(..., ws=...)`.

It also writes each text frame from bytes shared by every socket (`frame_bytes`): a server's frames
are not masked, so one event's frame is the same for a thousand clients, and websockets' `send_text`
encoded the text and built the frame again for each of them (~7 % of the gateway's Python time at
1000 clients). Only for a socket that is open with no extension (no permessage-deflate); anything
else goes through uvicorn and websockets unchanged.

It is also an outlet the fan-out hub writes to directly (`tradewire_bus.fanout.Outlet`), found in the
ASGI scope under `OUTLET`: `try_write` puts a frame on the transport when there is room, with no ASGI
message, no await and no task switch per frame, as the minimal relay's `broadcast` does.

A function, so this library needs no uvicorn: only the servers that run uvicorn call it.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

OUTLET = "tradewire.outlet"  # the scope key of the connection's outlet
FRAMES_KEPT = 256  # the frames of the most recent texts: a fan-out sends the same few to every socket
_frames: dict[str, bytes] = {}


def frame_bytes(text: str) -> bytes:
    """An unfragmented, unmasked text frame (RFC 6455 5.2), from a cache keyed by the text."""
    frame = _frames.get(text)
    if frame is None:
        payload = text.encode()
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x81, 126, size)
        else:
            head = struct.pack("!BBQ", 0x81, 127, size)
        frame = head + payload
        if len(_frames) >= FRAMES_KEPT:
            del _frames[next(iter(_frames))]  # the oldest: dicts keep insertion order
        _frames[text] = frame
    return frame


class Inbox:
    """What uvicorn's protocol asks of its receive queue: put_nowait, get, empty."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        # A list, not a deque: uvicorn pauses reading while a message waits, so it holds one or two.
        return self._items.pop(0)


class Flag:
    """`asyncio.Event`'s set, clear, is_set and wait, with no deque until someone waits."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


def lean_websocket_protocol() -> type[asyncio.Protocol]:
    from uvicorn.protocols.utils import ClientDisconnected
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State

    class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.queue = Inbox()  # type: ignore[assignment]
            self._room = Flag()  # the same flag, typed as what it is, for `ready`
            self.writable = self._room  # type: ignore[assignment]
            self.writable.set()
            self._frames_ok = False  # accepted, plain frames (no extension), no close sent or received

        def connection_lost(self, exc: Exception | None) -> None:
            self._frames_ok = False
            super().connection_lost(exc)

        def handle_close(self, event: Any) -> None:
            self._frames_ok = False
            super().handle_close(event)

        def handle_connect(self, event: Any) -> None:
            super().handle_connect(event)
            # Its headers are in the scope now. Emptied, not only dropped: websockets' parser keeps the
            # request it parsed in a local variable for the connection's life.
            event.headers.clear()
            self.request = None  # type: ignore[assignment]
            if not self.close_sent and not self.conn.extensions:  # accepted by websockets, frames as they are
                self.scope[OUTLET] = self  # type: ignore[literal-required]

        # -- the hub's outlet -------------------------------------------------------------------------

        def ready(self) -> bool:
            # Asked for every frame of the fan-out: a flag kept at accept and close rather than the five
            # checks (one a property) `send` makes; a transport closing for any other reason says so itself.
            return self._frames_ok and self._room._value and not self.transport.is_closing()

        def write_text(self, text: str) -> None:
            self.transport.write(frame_bytes(text))

        def try_write(self, text: str) -> bool:
            if self.ready():
                self.transport.write(frame_bytes(text))
                return True
            return False

        async def wait_ready(self) -> bool:
            while not self.ready():
                if self.writable.is_set():
                    return False  # room, yet no frames: closing, closed, or never accepted
                await self.writable.wait()
            return True

        async def send(self, message: Any) -> None:
            if (
                message["type"] == "websocket.send"
                and (text := message.get("text")) is not None
                and self.handshake_complete
            ):
                await self.writable.wait()
                if self.disconnected:
                    raise ClientDisconnected()
                # What uvicorn would check before websockets' send_text, and what send_text checks itself.
                open_ = not self.close_sent and self.initial_response is None and self.conn.state is State.OPEN
                if open_ and not self.conn.extensions:
                    self.transport.write(frame_bytes(text))
                    return
            if message["type"] == "websocket.close":
                self._frames_ok = False
            await super().send(message)
            if message["type"] == "websocket.accept":
                self.response = None  # type: ignore[assignment]  # sent; never read again
                self._frames_ok = (
                    self.handshake_complete
                    and not self.close_sent
                    and self.initial_response is None
                    and self.conn.state is State.OPEN
                    and not self.conn.extensions
                )

    return LeanWebSocketProtocol
