"""The hub's shared ring: the last `size` live items of a process, by absolute position.

Every socket client holds only a cursor into it (pusher.py): nothing is copied per client, and a client
that falls behind reads its backlog from here, or, once the ring has moved past it, from the stream.
"""

from __future__ import annotations

from tradewire_bus.subscription import Resync
from tradewire_schemas import Envelope

Item = Envelope | Resync


class Ring:
    __slots__ = ("_latest", "_slots", "head", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a ring holds at least one item, not {size}")
        self.size = size
        self._slots: list[Item | None] = [None] * size
        self.head = 0  # the position the next item gets; positions only grow
        # Per (bot, type) of a conflatable event: the position of the newest one, so a client draining a
        # backlog skips a price that a later one in the ring supersedes (`superseded`).
        self._latest: dict[tuple[str, str], int] = {}

    @property
    def tail(self) -> int:
        """The oldest position still held."""
        return max(0, self.head - self.size)

    def append(self, item: Item) -> int:
        position = self.head
        self._slots[position % self.size] = item
        self.head = position + 1
        if isinstance(item, Envelope) and item.event.conflatable:
            self._latest[(item.event.bot_id, item.event.type)] = position
        return position

    def __getitem__(self, position: int) -> Item:
        if not self.tail <= position < self.head:
            raise IndexError(f"position {position} is not in the ring ({self.tail}..{self.head - 1})")
        item = self._slots[position % self.size]
        assert item is not None
        return item

    def superseded(self, position: int, item: Item) -> bool:
        """True for a conflatable event with a newer one of its bot and type in the ring."""
        if not isinstance(item, Envelope) or not item.event.conflatable:
            return False
        return self._latest.get((item.event.bot_id, item.event.type), position) > position
