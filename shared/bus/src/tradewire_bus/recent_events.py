"""What a publisher published lately, per bot, so it can publish again what Redis lost.

Redis replicates asynchronously: when a master dies, its replica may be promoted without the last events
the master acknowledged, or without anything of the bot (not even its epoch key). The publish script
notices (the bot's `seq` counter in Redis is behind what this publisher last assigned) and refuses; the
publisher then publishes those events again, with their original `seq`, from here. Readers that got them
from the dead master drop them as duplicates (same `seq`); the others get them in order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    seq: int
    keys: list[bytes]
    args: list[bytes]  # the script's ARGV up to its per-call flags: the event, ready to send again


class RecentEvents:
    def __init__(self, window: int) -> None:
        self._window = window
        self._by_bot: dict[str, deque[Published]] = {}

    def add(self, bot_id: str, published: Published) -> None:
        if self._window == 0:
            return
        recent = self._by_bot.get(bot_id)
        if recent is None:
            recent = self._by_bot[bot_id] = deque(maxlen=self._window)
        recent.append(published)

    def between(self, bot_id: str, after: int, until: int) -> list[Published] | None:
        """The events with `after` < seq <= `until`, in order; None unless every one of them is kept."""
        wanted = [p for p in self._by_bot.get(bot_id, ()) if after < p.seq <= until]
        if [p.seq for p in wanted] != list(range(after + 1, until + 1)):
            return None
        return wanted
