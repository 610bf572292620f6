"""The garbage collector tuned for a trading loop: fewer, cheaper collections.

The engine makes short-lived objects on every candle (events, fills, decimals) and holds large
long-lived ones (imports, the indicator columns of a year of candles, the market's history). With
CPython's defaults a young collection runs every 700 allocations and the older ones walk everything
alive again and again: on a replay that was 15-20 % of the CPU (bench/trader.py, GC off vs on). The
engine creates no reference cycles per candle, so collecting rarely loses no memory.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)


def settle_long_lived() -> None:
    """Once the data is loaded: keep what is alive now out of later collections, and collect less often."""
    gc.freeze()  # these objects live as long as the process: no collection needs to walk them again
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
