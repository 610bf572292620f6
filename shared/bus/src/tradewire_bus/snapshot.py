"""The latest state of each bot, kept in Redis by the publish script, readable by any service."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tradewire_schemas import (
    STREAM_OFFSET_PATTERN,
    Heartbeat,
    MessageRejected,
    PositionsChanged,
    PriceUpdated,
    StatsUpdated,
    StatusChanged,
    TradeExecuted,
    decode_event,
    utc_now,
)

# Which hash field of the bot's state key holds the latest event of each type ('' = not kept).
STATE_FIELDS: dict[str, str] = {
    "status_change": "status",
    "trade_executed": "trade",
    "price_update": "price",
    "stats_update": "stats",
    "heartbeat": "heartbeat",
    "positions_changed": "positions",
}

# A bot is stale when this many heartbeat intervals pass without one.
MISSED_HEARTBEATS = 3

Liveness = Literal["live", "stale", "unknown"]


def state_field(event_type: str) -> str:
    return STATE_FIELDS.get(event_type, "")


class BotSnapshot(BaseModel):
    """What a bot looks like now. `offset` is the stream position it reflects: resume after it."""

    model_config = ConfigDict(frozen=True)

    bot_id: str
    epoch: str | None
    offset: str | None
    seq: int
    status: StatusChanged | None = None
    trade: TradeExecuted | None = None
    price: PriceUpdated | None = None
    stats: StatsUpdated | None = None
    heartbeat: Heartbeat | None = None
    positions: PositionsChanged | None = None

    def liveness(self, now: datetime | None = None) -> Liveness:
        if self.heartbeat is None:
            return "unknown"
        allowed = timedelta(seconds=self.heartbeat.interval_s * MISSED_HEARTBEATS)
        return "live" if (now or utc_now()) - self.heartbeat.ts <= allowed else "stale"

    @classmethod
    def from_redis(cls, bot_id: str, epoch: bytes | None, fields: dict[bytes, bytes]) -> BotSnapshot:
        values: dict[str, object] = {}
        for name in STATE_FIELDS.values():
            raw = fields.get(name.encode())
            if raw is None:
                continue
            try:
                event = decode_event(raw)
            except MessageRejected:
                continue  # a hand-edited or foreign value: show the rest rather than nothing
            if event.bot_id == bot_id:
                values[name] = event
        offset = fields.get(b"offset", b"").decode(errors="replace")
        seq = fields.get(b"seq", b"0")
        return cls(
            bot_id=bot_id,
            epoch=epoch.decode(errors="replace") if epoch else None,
            offset=offset if re.fullmatch(STREAM_OFFSET_PATTERN, offset) else None,
            seq=int(seq) if seq.isdigit() and len(seq) < 20 else 0,
            **values,
        )
