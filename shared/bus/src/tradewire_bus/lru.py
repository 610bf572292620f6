"""A bounded map that forgets the least recently used entry first: the bus's per-event caches.

Two uses, both keyed by (epoch, bot, offset), which names one event for good: a Redis that lost its
data starts a new epoch, so a reused offset never finds an entry of an earlier life.
- `RedisBus.decoded`: history entries decoded once, however many resuming clients read them
  (validation dominated 200 simultaneous resumes);
- `tradewire_bus.fanout.RenderedCache`: an event encoded once for every socket it is sent to.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING = _Missing.MISSING  # what `get` returns for an absent key (a stored value may well be None)


class Lru(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | Literal[_Missing.MISSING]:
        if key not in self._entries:
            return MISSING
        self.hits += 1
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: K, value: V) -> None:
        if self.capacity == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
