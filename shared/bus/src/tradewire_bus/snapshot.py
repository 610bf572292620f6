"""The latest state of each bot, kept in Redis by the publish script, readable by any service."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tradewire_schemas import (
    Heartbeat,
    MarketsLoaded,
    MessageRejected,
    PositionsChanged,
    PriceUpdated,
    StatsUpdated,
    StatusChanged,
    TradeExecuted,
    decode_event,
    is_stream_offset,
    policy,
    utc_now,
)

# Which hash field of the bot's state key holds the latest event of each type: each event class declares
# its own (`EventBase.state_field`), and BotSnapshot has one attribute per field (a test holds them equal).
STATE_FIELDS = policy.STATE_FIELDS

# A bot is stale when this many heartbeat intervals pass without one.
MISSED_HEARTBEATS = 3

Liveness = Literal["live", "stale", "unknown"]


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
    markets: MarketsLoaded | None = None

    def liveness(self) -> Liveness:
        if self.heartbeat is None:
            return "unknown"
        allowed = timedelta(seconds=self.heartbeat.interval_s * MISSED_HEARTBEATS)
        return "live" if utc_now() - self.heartbeat.ts <= allowed else "stale"

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
            offset=offset if is_stream_offset(offset) else None,
            seq=int(seq) if seq.isdigit() and len(seq) < 20 else 0,
            **values,
        )
