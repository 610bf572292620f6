"""The gateway's settings, read once from the environment (`GATEWAY_` prefix) in `__main__`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewire_bus import BusConfig
from tradewire_runtime.logs import LogFormat, LogLevel


class Scope(StrEnum):
    READ = "read"  # see bots, their state and their events
    CONTROL = "control"  # send commands


class ApiToken(BaseModel):
    """One named bearer token. Its `name` becomes the `actor` of the commands it sends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    token: SecretStr = Field(min_length=16, description="At least 16 characters; compared in constant time.")
    scopes: frozenset[Scope] = Field(min_length=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_nested_delimiter="__", extra="ignore", frozen=True, validate_by_name=True
    )

    # docs/settings.md is generated from these fields (tradewire_stack.settings_reference); change both together.
    host: str = "127.0.0.1"
    port: int = Field(default=8002, ge=0, le=65535)
    log_level: LogLevel = "info"
    log_format: LogFormat = Field(default="text", description="text for people, json for log collectors.")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", validation_alias=AliasChoices("GATEWAY_REDIS_URL", "REDIS_URL", "redis_url")
    )
    bus: BusConfig = BusConfig()

    tokens: list[ApiToken] = Field(
        default_factory=list,
        description="Empty: a random control token is generated at startup and logged (quick start only).",
    )
    command_timeout_s: float = Field(default=5.0, gt=0, description="How long a command waits for its result.")
    commands_per_minute: float = Field(default=60.0, gt=0, description="Sustained command rate per token.")
    command_burst: int = Field(default=10, ge=1, description="Commands a token may send at once before limiting.")

    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024, description="Larger frames close with 1009.")
    ws_commands_in_flight: int = Field(default=8, ge=1, description="Commands one socket may have waiting.")
    ws_send_timeout_s: float = Field(
        default=10.0, gt=0, description="A client that takes no frame for this long is closed as too slow (1013)."
    )
    ws_max_pending: int = Field(
        default=10_000,
        ge=1,
        description="Undroppable events a queued (non-socket) hub client may fall behind before it is cut off.",
    )
    ws_ring_size: int = Field(
        default=4096,
        ge=16,
        description="Live events the hub keeps for sockets that fall behind; one further behind reads the stream.",
    )
    ws_conflate_after: int = Field(
        default=64, ge=1, description="Queue length from which a client's price/stats/heartbeats are conflated."
    )
    events_page_limit: int = Field(default=1000, ge=1, description="Largest `limit` of the events endpoint.")
