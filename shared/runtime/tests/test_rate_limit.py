from __future__ import annotations

import pytest

from tradewire_runtime.rate_limit import RateLimited, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_allowed_then_limited_until_the_bucket_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        limiter.acquire("ops")
    with pytest.raises(RateLimited) as limited:
        limiter.acquire("ops")
    assert limited.value.retry_after_s == pytest.approx(1.0)
    clock.now += 1.0
    limiter.acquire("ops")
    with pytest.raises(RateLimited):
        limiter.acquire("ops")


def test_each_token_has_its_own_bucket() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    limiter.acquire("ops")
    limiter.acquire("robot")
    with pytest.raises(RateLimited, match="'ops'"):
        limiter.acquire("ops")


def test_idle_time_never_saves_up_more_than_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    clock.now += 3600
    limiter.acquire("ops")
    limiter.acquire("ops")
    with pytest.raises(RateLimited):
        limiter.acquire("ops")
