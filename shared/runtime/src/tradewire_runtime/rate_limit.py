"""Command rate limit: a token bucket, refilled continuously, one bucket per sender (a gateway token's
name, a dashboard user's name). Shared by the gateway and the dashboard so both limit alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimited(Exception):
    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"{name!r} sent commands too fast; retry in {retry_after_s:.1f}s")
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Allows `burst` commands at once and `per_minute` sustained, per token name."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, name: str) -> None:
        """Take one command's allowance for `name`, or raise `RateLimited` saying when to retry."""
        now = self._clock()
        bucket = self._buckets.setdefault(name, _Bucket(tokens=self._burst, updated=now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            raise RateLimited(name, (1.0 - bucket.tokens) / self._rate)
        bucket.tokens -= 1.0
