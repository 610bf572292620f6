"""What one client already has, per bot, so nothing is handed to it twice (history and live overlap)."""

from __future__ import annotations

from collections.abc import Mapping

from tradewire_bus.reads import offset_key
from tradewire_bus.subscription import Resync
from tradewire_schemas import Envelope

Item = Envelope | Resync


class Seen:
    """Per bot: the offset the client has everything up to (`covered`: its resume point or snapshot) and
    the last `seq` it got. A live event at or before either can still arrive after attaching, since the
    hub reads each one from the stream while a resume reads the same stream's history."""

    __slots__ = ("_covered", "_last_seq", "_unpassed")

    def __init__(self, covered: Mapping[str, str] | None = None) -> None:
        self._last_seq: dict[str, int] = {}
        self._covered = {bot: offset_key(offset) for bot, offset in (covered or {}).items()}
        self._unpassed: set[str] = set()  # bots no live event has gone past since `arm`

    def arm(self) -> None:
        """History was just read: until a newer event of each bot comes, live ones may repeat it."""
        self._unpassed = set(self._last_seq)

    @property
    def settled(self) -> bool:
        """Nothing the client has can come again: every bot is past its point (the fast path stops asking)."""
        return not self._covered and not self._unpassed

    def remember(self, item: Item) -> bool:
        """Track what the client has had; False for an event it already got."""
        if isinstance(item, Resync):
            # What follows restarts that bot's history; old sequence numbers mean nothing now.
            if item.bot_id is None:
                self._last_seq.clear()
                self._covered.clear()
            else:
                self._last_seq.pop(item.bot_id, None)
                self._covered.pop(item.bot_id, None)
            return True
        event = item.event
        if event.seq <= self._last_seq.get(event.bot_id, 0):
            return False
        if self._covered:  # only until the first event past each bot's point: then `seq` says it all
            covered = self._covered.get(event.bot_id)
            if covered is not None:
                if offset_key(item.offset) <= covered:
                    return False
                del self._covered[event.bot_id]
        self._last_seq[event.bot_id] = event.seq
        if self._unpassed:
            self._unpassed.discard(event.bot_id)
        return True
