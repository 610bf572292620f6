"""The trader image's HEALTHCHECK: healthy while this bot's heartbeats reach the bus.

    python /app/healthcheck.py        # exit 0: live, 1: stale, never seen, or Redis unreachable

It reads the same `TRADER_*` settings as the trader itself, so it asks about the bot the container
runs. A heartbeat on the bus proves more than a running process: the engine loop is turning and its
outbox is publishing. The trader keeps trading through a Redis outage (its outbox buffers), so an
unhealthy trader is one whose facts are not reaching anyone, not necessarily one to kill.
"""

from __future__ import annotations

import asyncio
import sys

from tradewire_bus import RedisBus
from tradewire_trader.settings import Settings


async def liveness(settings: Settings) -> str:
    async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
        return (await bus.snapshot(settings.bot_id)).liveness()


def main() -> int:
    settings = Settings()
    try:
        state = asyncio.run(liveness(settings))
    except Exception as error:  # redis-py's connection errors and ours alike: unhealthy, with the reason
        print(f"trader {settings.bot_id}: cannot read the bus: {error}", file=sys.stderr)
        return 1
    print(f"trader {settings.bot_id}: {state}")
    return 0 if state == "live" else 1


if __name__ == "__main__":
    raise SystemExit(main())
