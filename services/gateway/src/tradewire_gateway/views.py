"""Bodies of the HTTP API, as they appear in the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradewire_bus import BotSnapshot, Liveness
from tradewire_gateway.frames import SYMBOL_HELP, EventFrame
from tradewire_schemas import BotStatus, CommandName, Symbol


class Problem(BaseModel):
    detail: str = Field(description="What went wrong and what to do about it.")


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: CommandName


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: Symbol | None = Field(default=None, description=SYMBOL_HELP)


class BotSummary(BaseModel):
    bot_id: str
    status: BotStatus | None = Field(description="From the latest status change or heartbeat; null if never seen.")
    liveness: Liveness = Field(description="live: heartbeats arrive; stale: they stopped; unknown: none yet.")
    offset: str | None = Field(description="Stream offset of the bot's latest event.")

    @classmethod
    def of(cls, snapshot: BotSnapshot) -> BotSummary:
        return cls(
            bot_id=snapshot.bot_id,
            status=current_status(snapshot),
            liveness=snapshot.liveness(),
            offset=snapshot.offset,
        )


class BotDetail(BotSummary):
    stale: bool = Field(description="True when heartbeats stopped: the state below may be out of date.")
    snapshot: BotSnapshot


class BotList(BaseModel):
    bots: list[BotSummary]


class EventPage(BaseModel):
    bot_id: str
    order: Literal["oldest_first", "newest_first"] = Field(
        "oldest_first", description="oldest_first for `after=` (the default), newest_first for `before=`."
    )
    events: list[EventFrame] = Field(description="In `order`, in the same shape as WebSocket event frames.")
    next_after: str = Field(
        description="Pass as `after` to read forwards: the next page, or (paging backwards) what came since."
    )
    next_before: str | None = Field(
        None, description="Paging backwards: pass as `before` for the older page; null when none is left."
    )


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    redis: bool
    hub: bool


def current_status(snapshot: BotSnapshot) -> BotStatus | None:
    """The newer of the last status change and the last heartbeat, which both carry a status."""
    candidates: list[Any] = [event for event in (snapshot.status, snapshot.heartbeat) if event is not None]
    if not candidates:
        return None
    latest = max(candidates, key=lambda event: event.ts)
    status: BotStatus = latest.status
    return status
