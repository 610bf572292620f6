"""The garbage collector tuned for a trading loop: fewer, cheaper collections.

The engine makes short-lived objects on every candle (events, fills, decimals) and holds large
long-lived ones (imports, the indicator columns of a year of candles, the market's history). With
CPython's defaults a young collection runs every 700 allocations and the older ones walk everything
alive again and again: on a replay that was 15-20 % of the CPU (bench/trader.py, GC off vs on). The
engine creates no reference cycles per candle, so collecting rarely loses no memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)


@contextmanager
def long_lived_settled() -> Iterator[None]:
    """While trading: what is alive now (the loaded data) stays out of collections, which run less often.

    Unfrozen at the end: a finished trader is often a cycle (its exchange calls back into it), and a
    frozen cycle is never collected; a sweep running backtests one after another would keep each one's
    candles and indicators otherwise.
    """
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    try:
        yield
    finally:
        gc.unfreeze()
