"""Commands: imperatives sent to one bot. Decode any of them through `Command`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from tradewire_schemas.primitives import MESSAGE_CONFIG, SCHEMA_VERSION, Actor, BotId, Symbol, UtcDatetime, utc_now

DEFAULT_TTL = timedelta(seconds=30)


class CommandExpired(ValueError):
    """A command reached its receiver after its expiry: it must never be executed."""


class CommandBase(BaseModel):
    model_config = MESSAGE_CONFIG

    # Every concrete command narrows `type` to its own literal; it comes first so the wire JSON reads well.
    type: str
    v: int = Field(default=SCHEMA_VERSION, ge=1)
    command_id: UUID = Field(default_factory=uuid4, description="Executed at most once per id.")
    bot_id: BotId
    actor: Actor = Field(description="Who asked: the API token's or the user's name.")
    issued_at: UtcDatetime = Field(default_factory=utc_now)
    expires_at: UtcDatetime | None = Field(
        default=None, description="Never executed after this time; defaults to 30 s after issue."
    )

    @model_validator(mode="after")
    def _expiry_after_issue(self) -> Self:
        if self.expires_at is None:
            object.__setattr__(self, "expires_at", self.issued_at + DEFAULT_TTL)
        elif self.expires_at <= self.issued_at:
            raise ValueError("expires_at must be later than issued_at")
        return self

    @property
    def deadline(self) -> datetime:
        assert self.expires_at is not None  # filled in by the validator
        return self.expires_at

    def ensure_fresh(self, now: datetime | None = None) -> None:
        """Raise `CommandExpired` when the command arrives too late to be executed."""
        now = now or utc_now()
        if now >= self.deadline:
            late = (now - self.deadline).total_seconds()
            raise CommandExpired(
                f"{self.type} {self.command_id} expired at {self.deadline.isoformat()} "
                f"and arrived {late:.3f} s late: not executed"
            )


class StartBot(CommandBase):
    type: Literal["start_bot"] = "start_bot"


class StopBot(CommandBase):
    type: Literal["stop_bot"] = "stop_bot"


class RequestStatus(CommandBase):
    type: Literal["request_status"] = "request_status"


class HaltBot(CommandBase):
    """The kill switch: cancel every open order of the bot's market on the exchange, then stop."""

    type: Literal["halt_bot"] = "halt_bot"


class ClosePosition(CommandBase):
    """Sell an open position at market now (reason "manual" on the trade); every position without `symbol`."""

    type: Literal["close_position"] = "close_position"
    symbol: Symbol | None = Field(default=None, description="The market to close; null closes every position.")


def symbol_only_to_close(command: str, symbol: str | None) -> None:
    """A client's command form: a symbol belongs to close_position alone (start_bot would silently ignore it)."""
    if symbol is not None and command != "close_position":
        raise ValueError(f"symbol is only understood with close_position, not with {command}")


Command = Annotated[StartBot | StopBot | RequestStatus | HaltBot | ClosePosition, Field(discriminator="type")]
COMMAND_TYPES: dict[str, type[CommandBase]] = {
    "start_bot": StartBot,
    "stop_bot": StopBot,
    "request_status": RequestStatus,
    "halt_bot": HaltBot,
    "close_position": ClosePosition,
}

commands: TypeAdapter[Command] = TypeAdapter(Command)
