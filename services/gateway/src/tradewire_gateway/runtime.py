"""What the app's lifespan owns while it runs: the bus client, the fan-out hub and the command path."""

from __future__ import annotations

from dataclasses import dataclass

from tradewire_bus import Hub, RedisBus, Resync
from tradewire_bus.fanout import RenderedCache
from tradewire_gateway.auth import TokenRegistry
from tradewire_gateway.commander import Commander
from tradewire_gateway.frames import resync_frame_text
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_gateway.send_watchdog import SendWatchdog
from tradewire_gateway.settings import Settings
from tradewire_schemas import Envelope


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    bus: RedisBus
    hub: Hub
    commander: Commander
    tokens: TokenRegistry
    metrics: GatewayMetrics
    frames: RenderedCache[str]  # each event's frame text, encoded once for every socket
    watchdog: SendWatchdog  # one for every socket's sends

    def frame_text(self, item: Envelope | Resync) -> str:
        """An item's frame, as the hub writes it to every socket (one bound method: one group of sockets)."""
        return resync_frame_text(item) if isinstance(item, Resync) else self.frames.get(item)
