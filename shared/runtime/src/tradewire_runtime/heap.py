"""Garbage-collector settings for a server process that holds many WebSocket connections.

With a thousand clients connected, CPython's default thresholds (700, 10, 10) run a full collection
every few seconds, and each walks every object of every connection: 50-240 ms with the event loop
stopped, measured on the gateway at 1000 clients @ 20 events/s, which made its p99 latency 271 ms
against 27 ms for a minimal relay. Collecting the young generation after 20,000 net allocations
instead of 700 makes full collections rare (one in 15 s of that load instead of about nine in 5 s),
and freezing what exists once the server is built keeps imports and app objects out of every later
collection. Reference counting still frees everything acyclic at once; cyclic garbage waits a
little longer, bounded by the threshold. `bench/e2e/` measures the effect (docs/performance.md).
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 20_000


def prepare_for_serving() -> None:
    """Call once in a server's entry point, after building the app and before serving.

    Not in app factories: a test process builds many apps, and frozen objects are never collected.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
