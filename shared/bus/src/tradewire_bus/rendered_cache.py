"""Renders each event once however many clients receive it: a small LRU by (epoch, bot, offset).

Fanning one event out to a thousand sockets, encoding it per client costs more than sending it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from tradewire_schemas import Envelope

T = TypeVar("T")


class RenderedCache(Generic[T]):
    def __init__(self, render: Callable[[Envelope], T], size: int = 4096) -> None:
        self._render = render
        self._size = size
        self._rendered: OrderedDict[tuple[str, str, str], T] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rendered)

    def get(self, envelope: Envelope) -> T:
        key = (envelope.epoch, envelope.event.bot_id, envelope.offset)
        if key in self._rendered:
            return self._rendered[key]
        rendered = self._rendered[key] = self._render(envelope)
        if len(self._rendered) > self._size:
            self._rendered.popitem(last=False)
        return rendered
