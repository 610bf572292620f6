"""How `/ws` gets events to its client: the hub's ring writes them (`_push`, the lean protocol's outlet),
or, on a server without it, a queue read by the socket's own task (`_relay`). A base of `EventSocket`
(websocket.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tradewire_bus import ClientQueue, ClientTooSlow, Resync
from tradewire_bus.fanout import Pusher
from tradewire_gateway.auth import Principal
from tradewire_gateway.frames import resync_frame_text as resync_text
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_gateway.runtime import Runtime
from tradewire_schemas import stream_order

log = logging.getLogger("tradewire.gateway.ws")

Close = tuple[int, str] | None  # how a side of the conversation ended; None: the client left
TOO_SLOW: Close = (1013, "too slow: reconnect with after=<bot>:<last offset>")


class SocketRelay:
    # Set by EventSocket.__init__; `_send` is EventSocket's.
    _runtime: Runtime
    _metrics: GatewayMetrics
    _principal: Principal
    _send_timeout_s: float
    _conflated_seen: int
    _send: Callable[[str], Awaitable[bool]]

    async def _push(self, pusher: Pusher) -> Close:
        try:
            await pusher.run(self._runtime.hub.known_bots)
        except ClientTooSlow:
            self._metrics.dropped.inc()
            log.warning("closing a client of %s: it took no frame for %ss", self._principal.name, self._send_timeout_s)
            return TOO_SLOW
        return None  # it left

    async def _relay(self, queue: ClientQueue, attached_ms: float) -> Close:
        while True:
            try:
                item = await queue.get()
            except ClientTooSlow:
                self._metrics.dropped.inc()
                log.warning("cut off a client of %s: it fell too far behind", self._principal.name)
                return TOO_SLOW
            self._count_conflated(queue)
            if isinstance(item, Resync):
                sent = await self._send(resync_text(item))
            else:
                sent = await self._send(self._runtime.frames.get(item))
                # Live: published after the socket attached; replayed history would only measure how old it is.
                self._metrics.deliveries.observe(item, 1, stream_order(item.offset)[0] >= attached_ms)
            if not sent:
                return None

    def _count_conflated(self, queue: ClientQueue | Pusher) -> None:
        if queue.conflated > self._conflated_seen:
            self._metrics.conflated.inc(queue.conflated - self._conflated_seen)
            self._conflated_seen = queue.conflated
