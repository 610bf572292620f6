from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tradewire_bus import BusConfig, RedisBus
from tradewire_testing import RedisServer

FAST_RECONNECT = BusConfig(reconnect_min_s=0.02, reconnect_max_s=0.2, command_timeout_s=2.0)


@pytest.fixture
async def bus(redis_server: RedisServer) -> AsyncIterator[RedisBus]:
    async with RedisBus.connect(redis_server.url, FAST_RECONNECT) as connected:
        yield connected
