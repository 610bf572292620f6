"""The notifier's settings, read once from the environment (`NOTIFIER_` prefix) in `__main__`.

Destinations are one JSON list (`NOTIFIER_DESTINATIONS`), each with its `kind`, its own address and
secrets, its rules (which bots, which events, how much profit or loss is worth a message, quiet hours)
and its delivery limits. An empty list means the notifier has nothing to do: it says so and exits.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewire_bus import BusConfig
from tradewire_runtime.logs import LogFormat, LogLevel

# What a destination can ask for. `error` is a status change to "error"; `status_change` the others.
Topic = Literal["trade_entry", "trade_exit", "status_change", "error", "command_result", "daily_summary"]
ALL_TOPICS: frozenset[Topic] = frozenset({"trade_entry", "trade_exit", "status_change", "error", "daily_summary"})

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class QuietHours(BaseModel):
    """Messages due between `start` and `end` (local to `timezone`) wait until `end`; none are dropped."""

    model_config = _FROZEN

    start: time
    end: time
    timezone: str = Field(default="UTC", description="An IANA zone name, e.g. Europe/Berlin.")


class Rules(BaseModel):
    model_config = _FROZEN

    bots: frozenset[str] | None = Field(default=None, description="Only these bots; null: every bot.")
    topics: frozenset[Topic] = Field(default=ALL_TOPICS, description="Which kinds of events become messages.")
    min_profit: Decimal = Field(
        default=Decimal(0), ge=0, description="A winning exit is reported only from this profit (quote currency)."
    )
    min_loss: Decimal = Field(
        default=Decimal(0), ge=0, description="A losing exit is reported only from this loss (quote currency)."
    )
    quiet_hours: QuietHours | None = None


class Delivery(BaseModel):
    """How hard to try and how fast to go, per destination."""

    model_config = _FROZEN

    per_minute: float = Field(default=20.0, gt=0, description="Sustained messages per minute.")
    burst: int = Field(default=5, ge=1, description="Messages sent at once before the rate applies.")
    batch_window_s: float = Field(
        default=1.0, ge=0, description="A message waits this long for others, so a burst becomes one summary."
    )
    batch_from: int = Field(default=4, ge=2, description="This many waiting messages are sent as one summary.")
    retry_min_s: float = Field(default=1.0, gt=0, description="First retry delay after a failed send.")
    retry_max_s: float = Field(default=300.0, gt=0, description="Longest retry delay.")
    give_up_after_s: float = Field(
        default=86_400.0, gt=0, description="A message not delivered this long after it was queued is dead-lettered."
    )
    timeout_s: float = Field(default=10.0, gt=0, description="How long one send may take.")


class _Destination(BaseModel):
    model_config = _FROZEN

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Unique; labels metrics and the dead letters.")
    rules: Rules = Rules()
    delivery: Delivery = Delivery()


class WebhookDestination(_Destination):
    """JSON POSTed to `url`, signed with HMAC-SHA256 over `<timestamp>.<body>` (docs/notifier.md)."""

    kind: Literal["webhook"] = "webhook"
    url: str
    secret: SecretStr = Field(min_length=16)


class TelegramDestination(_Destination):
    kind: Literal["telegram"] = "telegram"
    token: SecretStr
    chat_ids: list[int] = Field(min_length=1, description="Where messages go.")
    command_chat_ids: list[int] = Field(
        default_factory=list, description="Chats whose /stop, /start, /status, /profit are obeyed; empty: none."
    )
    base_url: str = Field(default="https://api.telegram.org/bot", description="The Bot API (a stub in tests).")
    poll_timeout_s: int = Field(default=30, ge=0, description="Long-poll time of getUpdates.")


class DiscordDestination(_Destination):
    kind: Literal["discord"] = "discord"
    url: SecretStr = Field(description="The channel's incoming webhook URL (it is the secret).")


class SlackDestination(_Destination):
    kind: Literal["slack"] = "slack"
    url: SecretStr = Field(description="The channel's incoming webhook URL (it is the secret).")


class EmailDestination(_Destination):
    kind: Literal["email"] = "email"
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    use_tls: bool = Field(default=False, description="TLS from the first byte (port 465) instead of STARTTLS.")
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)


Destination = Annotated[
    WebhookDestination | TelegramDestination | DiscordDestination | SlackDestination | EmailDestination,
    Field(discriminator="kind"),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFIER_", env_nested_delimiter="__", extra="ignore", frozen=True, validate_by_name=True
    )

    # docs/settings.md is generated from these fields (tradewire_stack.settings_reference); change both together.
    log_level: LogLevel = "info"
    log_format: LogFormat = Field(default="text", description="text for people, json for log collectors.")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", validation_alias=AliasChoices("NOTIFIER_REDIS_URL", "REDIS_URL", "redis_url")
    )
    bus: BusConfig = BusConfig()
    state_file: Path = Field(
        default=Path("notifier.sqlite3"), description="The cursor, the outbox and the dead letters (SQLite)."
    )
    destinations: list[Destination] = Field(
        default_factory=list, description="JSON list; see docs/notifier.md. Empty: nothing to do."
    )
    dashboard_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8001; messages link to the bot's trades there."
    )
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=8004, ge=0, le=65535, description="Prometheus /metrics; 0 turns it off.")
    command_timeout_s: float = Field(default=10.0, gt=0, description="How long a Telegram command waits.")
    daily_summary_at: time | None = Field(
        default=None, description="e.g. 20:00: each bot's day (trades, profit, equity) to destinations that want it."
    )
    daily_summary_timezone: str = Field(default="UTC", description="The zone of daily_summary_at (IANA name).")

    @field_validator("destinations")
    @classmethod
    def _unique_names(cls, value: list[Destination]) -> list[Destination]:
        names = [d.name for d in value]
        if len(names) != len(set(names)):
            raise ValueError(f"destination names must be unique: {names}")
        return value
