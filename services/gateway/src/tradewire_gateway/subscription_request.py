"""What a WebSocket client asks to receive, read from the `/ws` query string.

    /ws?bots=alpha,beta&types=trade_executed,status_change&after=alpha:1700000000000-0&snapshot=false

- `bots`: comma-separated and/or repeated; absent means every bot, including ones that appear later.
- `types`: event types to receive; absent means all.
- `after`: `<bot_id>:<offset>` (repeatable) resumes that bot after the offset; a bare `<offset>` is allowed
  when exactly one bot is chosen.
- `snapshot`: send each bot's current snapshot first (default: only when no `after` is given).
- `full`: every event, gap-free in seq, also when resuming or falling behind (default false: every trade,
  status change and command result, but only the latest price, stats and heartbeat of a backlog).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import get_args

from tradewire_schemas import STREAM_OFFSET_HELP, EventType, is_bot_id, is_stream_offset

EVENT_TYPES = frozenset(get_args(EventType))
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SubscriptionRequest:
    bots: frozenset[str] | None = None
    types: frozenset[str] | None = None
    after: Mapping[str, str] = field(default_factory=dict)
    snapshot: bool = True
    full: bool = False

    @property
    def only_bot(self) -> str | None:
        """The one bot followed, if exactly one was chosen: commands may then leave out `bot_id`."""
        return next(iter(self.bots)) if self.bots is not None and len(self.bots) == 1 else None

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> SubscriptionRequest:
        """Raise ValueError with a readable reason for anything that is not understood."""
        unknown = set(params) - {"bots", "types", "after", "snapshot", "full"}
        if unknown:
            raise ValueError(f"unknown query parameters {sorted(unknown)}; use bots, types, after, snapshot, full")
        bots = _split(params.get("bots"))
        for bot in bots or ():
            if not is_bot_id(bot):
                raise ValueError(f"{bot!r} is not a bot id")
        types = _split(params.get("types"))
        if types is not None and (wrong := types - EVENT_TYPES):
            raise ValueError(f"unknown event types {sorted(wrong)}; known: {sorted(EVENT_TYPES)}")
        after = _after(params.get("after", ()), bots)
        snapshot = _flag(params, "snapshot", default=not after)
        full = _flag(params, "full", default=False)
        return cls(bots=bots, types=types, after=after, snapshot=snapshot, full=full)


def _flag(params: Mapping[str, Sequence[str]], name: str, *, default: bool) -> bool:
    values = params.get(name, ())
    if not values:
        return default
    value = values[-1].lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{name} must be true or false, not {values[-1]!r}")
    return value in _TRUE


def _split(values: Sequence[str] | None) -> frozenset[str] | None:
    if not values:
        return None
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())


def _after(values: Sequence[str], bots: frozenset[str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        bot, sep, offset = value.rpartition(":")
        if not sep:
            if bots is None or len(bots) != 1:
                raise ValueError("after=<offset> without a bot needs exactly one bot in bots=; else use bot:offset")
            bot = next(iter(bots))
        if not is_bot_id(bot):
            raise ValueError(f"{bot!r} in after= is not a bot id")
        if bots is not None and bot not in bots:
            raise ValueError(f"after= names bot {bot!r}, which is not in bots=")
        if not is_stream_offset(offset):
            raise ValueError(STREAM_OFFSET_HELP)
        result[bot] = offset
    return result
