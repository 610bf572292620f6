from __future__ import annotations

from tradewire_runtime.backoff import Backoff


def test_delays_grow_to_the_cap_and_never_drop_below_half() -> None:
    backoff = Backoff(minimum=0.1, maximum=2.0)
    delays = [backoff.delay() for _ in range(12)]
    nominal = [min(2.0, 0.1 * 2**i) for i in range(12)]
    assert all(n / 2 <= d <= n for d, n in zip(delays, nominal, strict=True))
    assert max(delays) <= 2.0


def test_jitter_spreads_clients_apart() -> None:
    firsts = {round(Backoff(minimum=1.0, maximum=1.0).delay(), 6) for _ in range(50)}
    assert len(firsts) > 40


def test_reset_starts_again_from_the_minimum() -> None:
    backoff = Backoff(minimum=0.1, maximum=5.0)
    for _ in range(6):
        backoff.delay()
    backoff.reset()
    assert backoff.delay() <= 0.1 and backoff.attempts == 1
