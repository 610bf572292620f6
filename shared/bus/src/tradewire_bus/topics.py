"""Every Redis channel, stream and key name tradewire uses is spelled here and nowhere else.

Per-bot keys carry the bot id in a hash tag (`{bot}`) so that, on Redis Cluster, the keys the publish
script touches for one bot live in one slot. On a cluster (`sharded`) the bot's live and command
channels carry it too (`tw:events:{demo}`), so the script's SPUBLISH stays on that slot's shard, and
the names that are global on one Redis (the epoch, a command's kept result) become per bot. On one
Redis every name is spelled as before, so readers of either vintage agree. See docs/bus.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Topics:
    namespace: str = "tw"
    sharded: bool = False  # Redis Cluster: channels in the bot's slot, per-bot epoch and results

    def _channel_bot(self, bot_id: str) -> str:
        return f"{{{bot_id}}}" if self.sharded else bot_id

    # pub/sub channels
    def bot_events(self, bot_id: str) -> str:
        return f"{self.namespace}:events:{self._channel_bot(bot_id)}"

    def all_bot_events(self) -> str:
        """A PSUBSCRIBE pattern matching `bot_events` of every bot."""
        return f"{self.namespace}:events:*"

    def bot_commands(self, bot_id: str) -> str:
        return f"{self.namespace}:commands:{self._channel_bot(bot_id)}"

    def fleet(self) -> str:
        """Cluster only: a plain (broadcast) channel where a publisher names a bot the first time it
        publishes for it, so "every bot" subscribers learn of it and subscribe on its shard."""
        return f"{self.namespace}:fleet"

    def bot_id_from_channel(self, channel: str) -> str:
        bot = channel.removeprefix(f"{self.namespace}:events:")
        return bot[1:-1] if self.sharded and bot.startswith("{") and bot.endswith("}") else bot

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

    def epoch(self, bot_id: str | None = None) -> str:
        """The data epoch a bot's events belong to: one for the whole Redis, or per bot on a cluster
        (a script may only touch its own slot, and each shard can lose its data on its own)."""
        if self.sharded:
            if bot_id is None:
                raise ValueError("on Redis Cluster the epoch is per bot: name the bot")
            return f"{self.namespace}:bot:{{{bot_id}}}:epoch"
        return f"{self.namespace}:epoch"

    def command_claim(self, command_id: UUID) -> str:
        return f"{self.namespace}:command:{command_id}:claim"

    def command_result(self, command_id: UUID, bot_id: str = "") -> str:
        if self.sharded:  # written by the publish script, so in the bot's slot
            if not bot_id:
                raise ValueError("on Redis Cluster a command's result lives in its bot's slot: name the bot")
            return f"{self.namespace}:bot:{{{bot_id}}}:command:{command_id}:result"
        return f"{self.namespace}:command:{command_id}:result"
