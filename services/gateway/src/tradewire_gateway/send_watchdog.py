"""One watchdog for every socket of the process: a send the client has not taken within the send
timeout (its TCP window stayed full) is cancelled, and the socket closed as too slow.

It was a task per socket, each waking four times per timeout: 1000 idle clients held 1000 more tasks
(their memory) and woke the loop 4000 times per timeout for nothing. Now one task looks at them all.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Watched(Protocol):
    def check_send(self, now: float, timeout_s: float) -> bool:
        """Cancel a send stuck since before `now - timeout_s`; True when it did (the socket is done)."""
        ...


class SendWatchdog:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._sockets: set[Watched] = set()

    def watch(self, socket: Watched) -> None:
        self._sockets.add(socket)

    def forget(self, socket: Watched) -> None:
        self._sockets.discard(socket)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.timeout_s / 4)
            now = loop.time()
            for socket in tuple(self._sockets):
                if socket.check_send(now, self.timeout_s):
                    self._sockets.discard(socket)
