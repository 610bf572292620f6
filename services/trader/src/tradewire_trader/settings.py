"""The trader's settings: built once in `__main__` from flags and `TRADER_` environment variables."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Self, get_args, get_origin

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tradewire_bus import BusConfig
from tradewire_runtime.logs import LogFormat, LogLevel
from tradewire_schemas import BOT_ID_PATTERN

DataSource = Literal["synthetic", "replay", "live"]
SYMBOL_PATTERN = r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$"
RISK_FIELDS = (
    "stoploss_pct", "trailing_stop_pct", "take_profit_pct", "roi", "time_limit_minutes", "max_open_positions",
    "max_drawdown_pct", "cooldown_candles",
)  # fmt: skip


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRADER_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
        # A model-level error would show every input, keys included: errors name the field and the rule only.
        hide_input_in_errors=True,
    )

    bot_id: str = Field("demo", pattern=BOT_ID_PATTERN, description="The bot's name in events and commands.")
    symbol: str = Field("BTC/USDT", pattern=SYMBOL_PATTERN, description="Market, e.g. BTC/USDT.")
    # NoDecode: a comma-separated list (BTC/USDT,ETH/USDT) in the environment as on the command line.
    symbols: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Several markets for one bot and one wallet, comma-separated (BTC/USDT,ETH/USDT); "
        "the first becomes `symbol`. Paper only.",
    )
    mode: Literal["paper", "live"] = Field("paper", description="paper: a simulated exchange; live: one through ccxt.")

    # market data
    source: DataSource = Field("synthetic", description="Market data source.")
    seed: int = Field(11, description="Synthetic data: the same seed gives the same series.")
    start_price: Decimal = Field(Decimal("42000"), gt=0, description="Synthetic data: the first price.")
    candle_seconds: int = Field(60, ge=1, description="Candle width in market seconds (live: 60, 300, 900, ...).")
    replay_file: Path | None = Field(
        None, description="OHLCV CSV; default: the committed sample. Several symbols: {pair} stands for BTC_USDT."
    )
    speed: float = Field(
        600.0, ge=0, description="Market seconds per wall second; 0 = as fast as possible, 1 = real time."
    )
    poll_seconds: float = Field(5.0, gt=0, description="Live data: how often to poll the exchange.")

    # strategy: a built-in name, module:Class or path/to/file.py:Class (docs/strategies.md). Its own
    # parameters are flags (--fast 8) or TRADER_<NAME> variables, read by strategies/loader.py.
    strategy: str = Field("sma_crossover", min_length=1, description="Built-in name, module:Class or file.py:Class.")
    strategy_params: dict[str, str] = Field(
        default_factory=dict, description="The strategy's parameters given as flags (the environment fills the rest)."
    )

    # sizing of an entry the strategy does not size itself: one of these three
    order_size: Decimal = Field(Decimal("0.01"), gt=0, description="Base amount per entry (unless a stake is set).")
    stake_quote: Decimal | None = Field(None, gt=0, description="Quote currency to spend per entry, e.g. 100 USDT.")
    stake_pct: Decimal | None = Field(None, gt=0, le=100, description="Percent of equity to spend per entry.")

    # exits and risk: each set one overrides the strategy's own declaration (risk.py says what they mean)
    stoploss_pct: Decimal | None = Field(None, gt=0, lt=100, description="Exit when the close is this % below entry.")
    trailing_stop_pct: Decimal | None = Field(
        None, gt=0, lt=100, description="Exit when the close is this % below the best close since entry."
    )
    take_profit_pct: Decimal | None = Field(None, gt=0, description="Exit when the close is this % above entry.")
    roi: dict[int, Decimal] | None = Field(
        None, description='Minimal ROI table {minutes: profit %}, e.g. {"0": 4, "30": 2, "120": 0}.'
    )
    time_limit_minutes: int | None = Field(None, ge=1, description="Exit a position open this long.")
    max_open_positions: int | None = Field(None, ge=1, description="No entry while this many positions are open.")
    max_drawdown_pct: Decimal | None = Field(
        None, gt=0, lt=100, description="Close everything and stop when equity is this % below its peak."
    )
    cooldown_candles: int | None = Field(None, ge=0, description="No entry for this many candles after a loss.")

    # paper exchange
    starting_quote: Decimal = Field(Decimal("10000"), ge=0, description="Paper: quote coin (e.g. USDT) at the start.")
    starting_base: Decimal = Field(Decimal("0"), ge=0, description="Paper: base coin (e.g. BTC) at the start.")
    taker_fee: Decimal = Field(Decimal("0.001"), ge=0, lt=1, description="Paper: fee fraction of a market order.")
    maker_fee: Decimal = Field(Decimal("0.001"), ge=0, lt=1, description="Paper: fee fraction of a limit order.")
    slippage: Decimal = Field(Decimal("0.0005"), ge=0, lt=1, description="Fraction added against a market order.")
    impact: Decimal = Field(
        Decimal("0.05"), ge=0, lt=1, description="Paper: extra slippage per unit of the candle's volume an order takes."
    )
    max_slippage: Decimal = Field(
        Decimal("0.03"), ge=0, lt=1, description="Paper: slippage never exceeds this fraction."
    )
    volume_share: Decimal = Field(
        Decimal("0.25"), ge=0, le=1, description="Paper: most of a candle's volume one order fills (0: no cap)."
    )
    fee_side: Literal["quote", "get"] = Field(
        "quote", description="Paper: fees in the quote coin, or in the coin received (get), as Binance charges them."
    )

    # live exchange
    exchange: str = Field("binance", description="Live: ccxt exchange id; keys: TRADER_API_KEY, TRADER_API_SECRET.")
    # Secrets: never printed (repr, errors, logs, events); only the ccxt client gets their value.
    api_key: SecretStr = SecretStr("")
    api_secret: SecretStr = SecretStr("")
    sandbox: bool = Field(True, description="Trade on the exchange's testnet; false means real money.")
    live_acknowledged: bool = Field(
        False, description="Must be true with sandbox=false: says out loud that real money will be traded."
    )
    api_url: str | None = Field(None, description="Override every REST base URL (tests point it at a stub).")
    retry_attempts: int = Field(5, ge=1, description="Live: tries per read before giving up.")
    retry_delay_s: float = Field(0.2, gt=0, description="Live: first retry delay; doubles each time, with jitter.")
    unknown_grace_s: float = Field(
        60.0, gt=0, description="Live: how long an order whose fate is unknown is looked up before 'never placed'."
    )
    lookup_delay_s: float = Field(1.0, gt=0, description="Live: first delay between lookups of such an order; doubles.")
    reconcile_every_s: float = Field(
        300.0, gt=0, description="Live: compare orders, trades and balances with the exchange this often."
    )

    # events
    price_every: int = Field(10, ge=1, description="Publish price_update every N iterations.")
    stats_every_s: float = Field(10.0, gt=0, description="Publish stats_update at least this often.")
    heartbeat_s: float = Field(5.0, gt=0, description="Publish a heartbeat this often (seconds).")
    outbox_limit: int = Field(10_000, ge=1, description="Unpublished trades at which new orders pause.")

    # logs
    log_level: LogLevel = "info"
    log_format: LogFormat = Field("text", description="text for people, json for log collectors.")

    # metrics
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Serve Prometheus metrics on this port (off when unset; the image uses 8003)."
    )
    metrics_host: str = Field("127.0.0.1", description="Address the metrics port listens on (0.0.0.0 in the image).")

    # state
    state_file: Path | None = Field(None, description="SQLite file, the source of truth; default per bot id.")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=AliasChoices("TRADER_REDIS_URL", "REDIS_URL"))
    bus: BusConfig = BusConfig()

    @field_validator("symbols", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _symbols_are_markets(self) -> Self:
        import re

        for symbol in self.symbols:
            if not re.match(SYMBOL_PATTERN, symbol):
                raise ValueError(f"symbols: {symbol!r} is not a market like BTC/USDT")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"symbols: {','.join(self.symbols)} names a market twice")
        if self.symbols:
            self.symbol = self.symbols[0]
            if len({s.split("/")[1] for s in self.symbols}) > 1:
                raise ValueError(f"symbols: {','.join(self.symbols)} must share one quote currency (one wallet)")
            if len(self.symbols) > 1 and self.mode == "live":
                raise ValueError("several symbols trade on paper only for now; a live bot trades one --symbol")
        return self

    @model_validator(mode="after")
    def _one_way_of_sizing(self) -> Self:
        if self.stake_quote is not None and self.stake_pct is not None:
            raise ValueError("set stake_quote or stake_pct, not both")
        return self

    @model_validator(mode="after")
    def _real_money_is_acknowledged(self) -> Self:
        if self.mode == "live" and not self.sandbox and not self.live_acknowledged:
            raise ValueError(
                "live mode with sandbox=false trades real money: set TRADER_LIVE_ACKNOWLEDGED=true "
                "(or --live-acknowledged) to confirm, or keep the sandbox"
            )
        return self

    @property
    def state_path(self) -> Path:
        return self.state_file or Path("trader-state") / f"{self.bot_id}.sqlite3"

    @property
    def markets(self) -> list[str]:
        """Every symbol this bot trades, the first being `symbol`."""
        return self.symbols or [self.symbol]

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


def add_setting_flags(parser: argparse.ArgumentParser, names: Iterable[str], notes: Mapping[str, str]) -> None:
    """A flag per setting, read as the setting's own type; its help is the setting's description (and the
    flag's note in `notes`) with its default and environment variable, so neither is written twice."""
    for name in names:
        field = Settings.model_fields[name]
        text = " ".join(filter(None, (field.description, notes.get(name)))).removesuffix(".").replace("%", "%%")
        shown = "" if field.default in (None, PydanticUndefined) or "default" in text else f"; default {field.default}"
        env = "" if name == "redis_url" else f"; env TRADER_{name.upper()}"
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, default=None, help=f"{text}{shown}{env}", **_read_as(field.annotation))


def _read_as(annotation: Any) -> dict[str, Any]:
    """argparse's options for a setting of this type (`X | None` is read as X)."""
    kind = get_args(annotation)[0] if isinstance(annotation, UnionType) else annotation
    if get_origin(kind) is Literal:
        return {"choices": list(get_args(kind))}
    if kind is bool:
        return {"action": "store_const", "const": True}
    if get_origin(kind) is dict:
        return {"type": json.loads}
    return {"type": kind} if kind in (int, float, Decimal, Path) else {}
