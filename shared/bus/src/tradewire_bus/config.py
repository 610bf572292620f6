"""The bus's own knobs. Each service's Settings embeds one `BusConfig` and passes it in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BusConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topology: Literal["auto", "single", "cluster"] = Field(
        default="auto",
        description="One Redis or a Redis Cluster; auto asks the server (INFO cluster). See docs/bus.md.",
    )
    namespace: str = Field(default="tw", pattern=r"^[A-Za-z0-9_.-]+$", description="Prefix of every Redis name.")
    stream_maxlen: int = Field(default=100_000, ge=100, description="Events kept per bot stream (approximate).")
    candle_history: int = Field(default=1000, ge=10, description="Candles kept per bot for charts (approximate).")
    command_timeout_s: float = Field(default=5.0, gt=0, description="How long a sender waits for a result.")
    command_memory_s: int = Field(
        default=86_400, ge=60, description="How long a command id is remembered (at-most-once window)."
    )
    reconnect_min_s: float = Field(default=0.05, gt=0, description="First reconnect delay.")
    reconnect_max_s: float = Field(default=5.0, gt=0, description="Longest reconnect delay.")
    max_connections: int = Field(default=32, ge=1, description="Connections per process for non-pub/sub commands.")
    backfill_batch: int = Field(default=1000, ge=1, description="Stream entries read per XRANGE.")
    decoded_cache: int = Field(
        default=8192, ge=0, description="Decoded history entries kept, so concurrent resumes validate each once."
    )
    republish_window: int = Field(
        default=2000,
        ge=0,
        description="Events per bot a publisher keeps to publish again if a failover loses them.",
    )
