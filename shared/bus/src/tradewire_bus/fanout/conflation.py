"""Which events a newer one of the same bot and type makes redundant, live or in history."""

from __future__ import annotations

from collections.abc import Sequence

from tradewire_schemas import Envelope


def latest_only(page: Sequence[Envelope]) -> list[Envelope]:
    """The page without the price, stats and heartbeat updates that a later one in it supersedes.

    A resuming client is by definition behind; replaying every old price would make it read most of
    the history only to overwrite it (in a storm of resumes, several times the live load). Trades,
    status changes and command results are always kept, and so is the last update of each kind.
    """
    seen: set[tuple[str, str]] = set()
    kept: list[Envelope] = []
    for envelope in reversed(page):
        event = envelope.event
        if event.conflatable:
            key = (event.bot_id, event.type)
            if key in seen:
                continue
            seen.add(key)
        kept.append(envelope)
    kept.reverse()
    return kept
