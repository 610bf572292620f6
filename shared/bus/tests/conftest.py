from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tradewire_bus import BusConfig, RedisBus

FAST_RECONNECT = BusConfig(reconnect_min_s=0.02, reconnect_max_s=0.2, command_timeout_s=2.0)


@pytest.fixture
async def bus(any_redis_url: str) -> AsyncIterator[RedisBus]:
    """On one Redis, and again on a Redis Cluster (tradewire_testing's `any_redis_url`)."""
    async with RedisBus.connect(any_redis_url, FAST_RECONNECT) as connected:
        yield connected
