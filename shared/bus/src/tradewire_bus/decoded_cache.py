"""Recently decoded stream entries, so many readers of the same history validate each entry once.

When hundreds of clients resume at once they read the same few thousand stream entries, each through
pydantic. Validation dominates that cost, so entries are kept here, as envelopes, by (epoch, bot,
offset): after Redis lost its data the epoch differs, so a reused offset never returns an old event.
"""

from __future__ import annotations

from collections import OrderedDict

from tradewire_schemas import Envelope

Key = tuple[bytes, str, str]  # (epoch, bot id, stream offset)


class DecodedCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Key, Envelope] = OrderedDict()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Envelope | None:
        envelope = self._entries.get(key)
        if envelope is not None:
            self.hits += 1
            self._entries.move_to_end(key)
        return envelope

    def put(self, key: Key, envelope: Envelope) -> None:
        if self.capacity == 0:
            return
        self._entries[key] = envelope
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
