from __future__ import annotations

import pytest

from tradewire_runtime.redis_url import without_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@127.0.0.1:6380/0", "redis://:***@127.0.0.1:6380/0"),
        ("rediss://dashboard:s3cret@redis.internal:6380/0", "rediss://dashboard:***@redis.internal:6380/0"),
        ("redis://app:s3cret@[::1]/0", "redis://app:***@[::1]/0"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cret@host:notaport/0", "<a Redis URL that does not parse>"),
    ],
)
def test_the_redis_password_never_reaches_a_log_line(url: str, shown: str) -> None:
    assert without_password(url) == shown
