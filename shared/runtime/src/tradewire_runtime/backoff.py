"""Exponential backoff with jitter, so a fleet of clients does not reconnect in lockstep."""

from __future__ import annotations

import asyncio
import random


class Backoff:
    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self._next = minimum
        self.attempts = 0

    def delay(self) -> float:
        """The next delay: half fixed (so we never spin), half random (so clients spread out)."""
        current = self._next
        self._next = min(self.maximum, self._next * 2)
        self.attempts += 1
        return current / 2 + random.uniform(0, current / 2)

    async def wait(self) -> None:
        await asyncio.sleep(self.delay())

    def reset(self) -> None:
        self._next = self.minimum
        self.attempts = 0
