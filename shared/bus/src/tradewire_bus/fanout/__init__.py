"""Fan-out: one bus subscription per process, delivered to many clients.

- `Hub` (hub.py): the subscription, and `attach()` per client, with history replayed first;
- `Pusher` (pusher.py): one socket's cursor into the hub's `Ring` (ring.py), written to by the hub itself;
- `ClientQueue` (client_queue.py): one (non-socket) client's bounded queue, what a slow one gets;
- `conflation.py`: which events a newer one makes redundant;
- `RenderedCache` (rendered.py): each event's wire text encoded once for every client.
"""

from tradewire_bus.fanout.client_queue import FAIR_SHARE, ClientQueue, ClientTooSlow, Interest
from tradewire_bus.fanout.hub import Hub
from tradewire_bus.fanout.pusher import Outlet, Pusher
from tradewire_bus.fanout.rendered import RenderedCache
from tradewire_bus.fanout.ring import Ring

__all__ = [
    "FAIR_SHARE",
    "ClientQueue",
    "ClientTooSlow",
    "Hub",
    "Interest",
    "Outlet",
    "Pusher",
    "RenderedCache",
    "Ring",
]
