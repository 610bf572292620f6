"""Every step of a build or a stack run says how long it took, on stderr, as it ends."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def step(what: str) -> Iterator[None]:
    print(f"stack: {what} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        yield
    except BaseException:
        print(f"stack: {what} FAILED after {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
        raise
    print(f"stack: {what} took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
