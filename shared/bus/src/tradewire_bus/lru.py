"""A bounded map that forgets the least recently used entry first: the bus's per-event caches.

Two uses, both keyed by (epoch, bot, offset), which names one event for good: a Redis that lost its
data starts a new epoch, so a reused offset never finds an entry of an earlier life.
- `RedisBus.decoded`: history entries decoded once, however many resuming clients read them
  (validation dominated 200 simultaneous resumes);
- `RenderedCache`: an event encoded once for every socket it is sent to.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, Literal, TypeVar

from tradewire_schemas import Envelope

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


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


class RenderedCache(Generic[T]):
    """`render(envelope)` once per event, however many clients receive it."""

    def __init__(self, render: Callable[[Envelope], T], size: int = 4096) -> None:
        self._render = render
        self._rendered: Lru[tuple[str, str, str], T] = Lru(size)

    def __len__(self) -> int:
        return len(self._rendered)

    def get(self, envelope: Envelope) -> T:
        key = (envelope.epoch, envelope.event.bot_id, envelope.offset)
        found = self._rendered.get(key)
        if found is MISSING:
            found = self._render(envelope)
            self._rendered.put(key, found)
        return found
