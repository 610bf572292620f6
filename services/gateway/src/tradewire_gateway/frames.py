"""What travels over `/ws`: the frames the gateway sends, and the command frame it accepts.

Outgoing frames all carry a `type`. Event frames wrap a bus event without changing it:
`{"type": <event type>, "offset": <stream offset>, "bot_id": ..., "data": <the event's JSON>}`.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from tradewire_bus import BotSnapshot, Resync
from tradewire_schemas import BotId, CommandName, CommandResult, Envelope, Event, Symbol, encode, wrap
from tradewire_schemas.commands import symbol_only_to_close

SYMBOL_HELP = "close_position: the market to close, e.g. BTC/USDT; absent closes every position of the bot"


ErrorCode = Literal[
    "malformed",
    "forbidden",
    "rate_limited",
    "no_trader",
    "timeout",
    "bus_unavailable",
    "busy",
    "bad_request",
    "internal",
]

_FRAME = ConfigDict(frozen=True, extra="forbid")


class EventFrame(BaseModel):
    model_config = _FRAME

    type: str = Field(description="The event's own type, e.g. trade_executed.")
    offset: str = Field(description="Stream offset of the event: reconnect with after=<bot_id>:<offset>.")
    bot_id: str
    data: Event


class CommandFrame(BaseModel):
    """What a client sends: the old form `{"command": "start_bot", "bot_id": "alpha"}`."""

    model_config = _FRAME

    command: CommandName
    bot_id: BotId | None = Field(default=None, description="May be left out when the socket follows exactly one bot.")
    request_id: str | None = Field(default=None, max_length=128, description="Echoed in the answer.")
    symbol: Symbol | None = Field(default=None, description=SYMBOL_HELP)

    @model_validator(mode="after")
    def _symbol_only_to_close(self) -> Self:
        symbol_only_to_close(self.command, self.symbol)
        return self


class BotControlFrame(BaseModel):
    model_config = _FRAME

    type: Literal["bot_control"] = "bot_control"
    request_id: str | None
    bot_id: str
    command: CommandName
    result: CommandResult


class ErrorFrame(BaseModel):
    model_config = _FRAME

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    request_id: str | None = None
    bot_id: str | None = None


class ResyncFrame(BaseModel):
    model_config = _FRAME

    type: Literal["resync"] = "resync"
    bot_id: str | None = Field(description="Null: every bot (Redis lost its data).")
    reason: str


class SubscribedFrame(BaseModel):
    """Sent once the socket is attached to the hub: from here on nothing published is missed."""

    model_config = _FRAME

    type: Literal["subscribed"] = "subscribed"
    bots: list[str] | None = Field(description="Null: every bot.")
    types: list[str] | None = Field(description="Null: every event type.")
    after: dict[str, str] = Field(description="Per bot, the offset the stream resumes after (history first).")
    full: bool = Field(False, description="Every event, gap-free in seq (`full=1`); else backlogs are conflated.")


class SnapshotFrame(BaseModel):
    model_config = _FRAME

    type: Literal["snapshot"] = "snapshot"
    bot_id: str
    offset: str | None = Field(description="The snapshot reflects every event up to this offset.")
    data: BotSnapshot


command_frames: TypeAdapter[CommandFrame] = TypeAdapter(CommandFrame)


def event_frame_text(envelope: Envelope) -> str:
    # Wrapped rather than re-validated: the event is already a checked model (cached per event, not per client).
    event = envelope.event
    return wrap({"type": event.type, "offset": envelope.offset, "bot_id": event.bot_id}, "data", encode(event))


def resync_frame_text(resync: Resync) -> str:
    return ResyncFrame(bot_id=resync.bot_id, reason=resync.reason).model_dump_json()
