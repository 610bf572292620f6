"""tradewire's event bus on Redis: atomic publish, gap-free subscribe, latest state, commands."""

from tradewire_bus.bus import RedisBus
from tradewire_bus.commands import CommandInbox
from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusError, BusUnavailable, CommandTimeout, NoTraderListening
from tradewire_bus.fanout import ClientQueue, ClientTooSlow, Hub
from tradewire_bus.in_memory import InMemoryPublisher
from tradewire_bus.publisher import Publisher
from tradewire_bus.snapshot import BotSnapshot, Liveness
from tradewire_bus.stats import BusStats
from tradewire_bus.subscription import FROM_START, Resync, Subscription
from tradewire_bus.topics import Topics

__all__ = [
    "FROM_START",
    "BotSnapshot",
    "BusConfig",
    "BusError",
    "BusStats",
    "BusUnavailable",
    "ClientQueue",
    "ClientTooSlow",
    "CommandInbox",
    "CommandTimeout",
    "Hub",
    "InMemoryPublisher",
    "Liveness",
    "NoTraderListening",
    "Publisher",
    "RedisBus",
    "Resync",
    "Subscription",
    "Topics",
]
