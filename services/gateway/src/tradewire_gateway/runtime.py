"""What the app's lifespan owns while it runs: the bus client, the fan-out hub and the command path."""

from __future__ import annotations

from dataclasses import dataclass

from tradewire_bus import Hub, RedisBus
from tradewire_bus.fanout import RenderedCache
from tradewire_gateway.auth import TokenRegistry
from tradewire_gateway.commander import Commander
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_gateway.send_watchdog import SendWatchdog
from tradewire_gateway.settings import Settings


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
