"""Each event's wire text, rendered once for every socket it is sent to (keyed like `lru`'s caches)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from tradewire_bus.lru import MISSING, Lru
from tradewire_schemas import Envelope

T = TypeVar("T")


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
