"""The dashboard's one `Settings`: read from `DASHBOARD_*` environment variables at the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewire_bus import BusConfig
from tradewire_runtime.logs import LogFormat, LogLevel


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DASHBOARD_", env_nested_delimiter="__", extra="ignore", populate_by_name=True
    )

    host: str = Field("127.0.0.1", description="Interface the ASGI server binds to.")
    port: int = Field(8001, ge=0, le=65535, description="Port of the control room.")
    recorder_port: int = Field(
        8005, ge=0, le=65535, description="`record`: its /healthz and /metrics (on `host`); the page is on `port`."
    )
    recorder_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="`record`: CPU priority below the serving process's (Unix nice increment): on shared cores "
        "its storing waits, the browsers' frames do not.",
    )
    recorder_sched_idle: bool = Field(
        True,
        description="`record` (Linux): run under SCHED_IDLE, so a core goes to it only when no other process "
        "wants it and a waking serving process preempts it at once; nice alone where not available.",
    )
    server: Literal["uvicorn", "daphne"] = Field("uvicorn", description="ASGI server (see docs/dashboard.md).")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", validation_alias=AliasChoices("DASHBOARD_REDIS_URL", "REDIS_URL")
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DASHBOARD_DATABASE_URL", "DATABASE_URL"),
        description="e.g. postgresql://user:pass@127.0.0.1/tradewire; SQLite under data_dir when unset.",
    )
    data_dir: Path = Field(Path("var/dashboard"), description="SQLite file, secret key, generated password.")
    secret_key: SecretStr | None = Field(None, description="Django SECRET_KEY; generated and kept in data_dir.")
    debug: bool = False
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"],
        description="Host names served; WebSocket Origins are checked against them too.",
    )
    demo: bool = Field(
        False, description="Create the demo user at the first start and print its password (./tw up turns it on)."
    )
    demo_username: str = "demo"
    demo_password: SecretStr | None = Field(None, description="Generated once and kept in data_dir when unset.")
    tls: bool = Field(
        False, description="Served over HTTPS by a proxy that sets X-Forwarded-Proto: secure cookies, HSTS, redirect."
    )
    csrf_trusted_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to POST forms; with tls, https://<each allowed host>."
    )
    hsts_seconds: int = Field(31_536_000, ge=0, description="Strict-Transport-Security max-age, with tls.")
    hsts_include_subdomains: bool = True
    hsts_preload: bool = False
    tls_redirect_exempt_probes: bool = Field(
        True, description="With tls, /metrics and the login page answer plain http too (container probes)."
    )
    login_failures_per_user: int = Field(5, ge=1, description="Failed logins per user name and address, per window.")
    login_failures_per_address: int = Field(50, ge=1, description="Failed logins per client address, per window.")
    login_failure_window_s: int = Field(900, ge=1, description="How long failed logins are counted.")
    # Like the gateway's: 1000 `request_status` in 10 s from one user once added 4,000 stream entries
    # and 2,000 command keys, and held 60 Redis connections.
    commands_per_minute: float = Field(60.0, gt=0, description="Sustained command rate per user, every socket.")
    command_burst: int = Field(10, ge=1, description="Commands a user may send at once before limiting.")
    commands_in_flight: int = Field(4, ge=1, description="Commands one socket may have waiting for an answer.")
    max_command_bytes: int = Field(4096, ge=256, description="Larger browser frames get an `error` reply.")
    max_frame_bytes: int = Field(65536, ge=1024, description="The server closes the socket above this (1009).")
    client_max_pending: int = Field(
        10_000, ge=10, description="Trades the recorder may lag before it is cut off (browsers use the Hub's ring)."
    )
    client_conflate_after: int = Field(64, ge=1, description="Queue length after which prices are conflated.")
    browser_reconnect_max_s: float = Field(15.0, gt=0, description="Longest reconnect delay of the page.")
    recent_trades: int = Field(50, ge=0, description="Trades rendered into the page before the live ones.")
    chart_candles: int = Field(
        300, ge=0, le=1000, description="Candles of each bot's history sent when a page connects (its chart)."
    )
    history_page_size: int = Field(50, ge=1, le=1000)
    backtests_dir: Path = Field(
        Path("var/backtests"),
        description="Backtest reports listed on the Backtests page (the trader's BACKTEST_REPORTS_DIR).",
    )
    log_level: LogLevel = "info"
    log_format: LogFormat = Field("text", description="text for people, json for log collectors.")
    bus: BusConfig = BusConfig()

    def sqlite_path(self) -> Path:
        return self.data_dir / "dashboard.sqlite3"
