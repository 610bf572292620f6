"""Every Redis channel, stream and key name tradewire uses is spelled here and nowhere else.

Per-bot keys carry the bot id in a hash tag (`{bot}`) so that, on Redis Cluster, the keys the publish
script touches for one bot live in one slot. See docs/bus.md for each name's payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Topics:
    namespace: str = "tw"

    # pub/sub channels
    def bot_events(self, bot_id: str) -> str:
        return f"{self.namespace}:events:{bot_id}"

    def all_bot_events(self) -> str:
        """A PSUBSCRIBE pattern matching `bot_events` of every bot."""
        return f"{self.namespace}:events:*"

    def bot_commands(self, bot_id: str) -> str:
        return f"{self.namespace}:commands:{bot_id}"

    def bot_id_from_channel(self, channel: str) -> str:
        return channel.removeprefix(f"{self.namespace}:events:")

    # per-bot keys
    def bot_stream(self, bot_id: str) -> str:
        return f"{self.namespace}:bot:{{{bot_id}}}:stream"

    def bot_seq(self, bot_id: str) -> str:
        return f"{self.namespace}:bot:{{{bot_id}}}:seq"

    def bot_state(self, bot_id: str) -> str:
        return f"{self.namespace}:bot:{{{bot_id}}}:state"

    def bot_candles(self, bot_id: str) -> str:
        """The bot's last candles (capped), so a chart can draw the recent past when it opens."""
        return f"{self.namespace}:bot:{{{bot_id}}}:candles"

    # global keys
    def bots(self) -> str:
        return f"{self.namespace}:bots"

    def epoch(self) -> str:
        return f"{self.namespace}:epoch"

    def command_claim(self, command_id: UUID) -> str:
        return f"{self.namespace}:command:{command_id}:claim"

    def command_result(self, command_id: UUID) -> str:
        return f"{self.namespace}:command:{command_id}:result"
