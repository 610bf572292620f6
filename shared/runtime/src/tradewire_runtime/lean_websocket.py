"""`lean_websocket_protocol()`: uvicorn's sans-I/O WebSocket protocol holding less per idle connection.

The gateway and the dashboard keep thousands of mostly idle sockets; per socket uvicorn kept an
`asyncio.Queue` of received messages (three deques and an Event: ~2.5 KB, for a queue that holds at
most a message or two, since uvicorn stops reading while one waits), an `asyncio.Event` for "writable"
(its waiters deque: ~0.6 KB), and the handshake's request and response with their headers (~3 KB, all
copied into the ASGI scope already). This subclass swaps the first two for a list and a flag that make
a future only while someone waits, and drops the handshake once it is answered. Everything else, the
frames on the wire included, is uvicorn's. Pass the class as `uvicorn.run(..., ws=...)`.

A function, so this library needs no uvicorn: only the servers that run uvicorn call it.
"""

from __future__ import annotations

import asyncio
from typing import Any


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
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.queue = Inbox()  # type: ignore[assignment]
            self.writable = Flag()  # type: ignore[assignment]
            self.writable.set()

        def handle_connect(self, event: Any) -> None:
            super().handle_connect(event)
            # Its headers are in the scope now. Emptied, not only dropped: websockets' parser keeps the
            # request it parsed in a local variable for the connection's life.
            event.headers.clear()
            self.request = None  # type: ignore[assignment]

        async def send(self, message: Any) -> None:
            await super().send(message)
            if message["type"] == "websocket.accept":
                self.response = None  # type: ignore[assignment]  # sent; never read again

    return LeanWebSocketProtocol
