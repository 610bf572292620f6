"""Live envelopes the stream does not (yet) hold: a failover's lost tail, or a forgery.

A live envelope is only a doorbell (tradewire_bus.subscription): what is delivered is read from the
stream. One the stream does not confirm is skipped either way; this module only decides how it is
counted, so that `forged` means forged. When a master dies with events its replica never got, readers
may still hear those events live (they were in the socket before it closed) while the promoted replica
has nothing at their offsets; the publisher then publishes them again, with their original `seq`, at
new offsets. Such an envelope names an offset after the end of the stream and a `seq` after the
reader's cursor, as a forgery of the future could: it is held here as a suspect and judged when the
cursor reaches its `seq`. The same event there (equal, field for field) means it was real: `stale`.
Another event means it was forged. One that contradicts the stream right away (another event at its
offset, or an offset the stream has already passed) is forged at once, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tradewire_bus.stats import BusStats
from tradewire_schemas import Envelope

log = logging.getLogger("tradewire.bus.subscription")

MAX_PER_BOT = 256  # suspects kept per bot; a flood of forgeries beyond it is counted forged at once


class Suspects:
    def __init__(self, stats: BusStats, forged: Callable[[Envelope, str], None], window: int) -> None:
        self._stats = stats
        self._forged = forged
        # A publisher can publish again at most its window of events: a suspect further ahead of the
        # cursor than that cannot be a lost one.
        self._window = window
        self._by_bot: dict[str, dict[int, Envelope]] = {}

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_bot.values())

    def add(self, envelope: Envelope, cursor_seq: int) -> None:
        """An envelope beyond the end of the stream, after the cursor at `cursor_seq`."""
        event = envelope.event
        if event.seq - cursor_seq > max(self._window, 1):
            self._forged(envelope, f"its seq is more than {self._window} events after the stream's")
            return
        held = self._by_bot.setdefault(event.bot_id, {})
        known = held.get(event.seq)
        if known is not None and known.event != event:
            # Two different events for one seq: at most one is real, judged when the cursor gets there.
            self._forged(envelope, "another live envelope already claims its seq")
            return
        held[event.seq] = envelope
        if len(held) > MAX_PER_BOT:
            oldest = min(held)
            self._forged(held.pop(oldest), f"more than {MAX_PER_BOT} unconfirmed live envelopes of the bot")
        log.info(
            "live envelope for %s (seq %d, offset %s) is not in the stream yet: a failover's lost tail, or forged",
            event.bot_id,
            event.seq,
            envelope.offset,
        )

    def judge(self, delivered: Envelope) -> None:
        """The cursor delivered `delivered`: a suspect with its seq was real if it is the same event."""
        event = delivered.event
        held = self._by_bot.get(event.bot_id)
        if not held:
            return
        for seq in [seq for seq in held if seq <= event.seq]:
            suspect = held.pop(seq)
            if seq == event.seq and suspect.event == event:
                self._stats.stale += 1
            else:
                self._forged(suspect, f"the stream holds another event with seq {seq}")
        if not held:
            del self._by_bot[event.bot_id]

    def forget(self, bot: str | None = None) -> None:
        """The bot's (or every bot's) history was lost: its suspects can no longer be judged."""
        for name in [name for name in self._by_bot if bot is None or name == bot]:
            del self._by_bot[name]
