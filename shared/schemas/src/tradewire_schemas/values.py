"""The values events carry that are not events themselves: kinds, reasons, and the parts of a trade,
a position, a market and a symbol's stats. Events are in `events.py`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, NonNegativeFloat, NonNegativeInt, StringConstraints

from tradewire_schemas.primitives import MESSAGE_CONFIG, ExactDecimal, Symbol, UtcDatetime

Mode = Literal["paper", "live"]
Side = Literal["buy", "sell"]
BotStatus = Literal["running", "stopped", "error"]
CommandName = Literal["start_bot", "stop_bot", "request_status", "halt_bot", "close_position"]
Outcome = Literal["accepted", "rejected", "completed"]
OrderKind = Literal["market", "limit"]
Liquidity = Literal["maker", "taker"]

# Why a trade happened. Entries say "signal"; exits say which rule closed the position. Carried as a
# plain string, so a newer writer's new reason reaches an older reader as text to show, not an error.
TRADE_REASONS = (
    "signal",  # the strategy asked (its own words are in `tag`)
    "stoploss",
    "trailing_stop",
    "take_profit",
    "roi",  # the minimal-ROI table for the trade's age was reached
    "time_limit",
    "drawdown_stop",  # the bot's equity fell past its max drawdown: every position closed, bot stopped
    "manual",  # a close_position command
)
TradeReason = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Tag = Annotated[str, StringConstraints(max_length=64)]
PlotName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")]


class TradeEntry(BaseModel):
    """The entry an exit closed: where and when the position was opened."""

    model_config = MESSAGE_CONFIG

    price: ExactDecimal = Field(description="Average entry price, fees excluded.")
    market_time: UtcDatetime = Field(description="Market time of the first entry fill (its candle's open).")
    duration_s: NonNegativeFloat = Field(description="Market seconds from the entry to this exit.")


class SymbolStats(BaseModel):
    """One symbol's share of a bot's stats (bots trading several symbols from one wallet)."""

    model_config = MESSAGE_CONFIG

    symbol: Symbol
    trades: NonNegativeInt
    wins: NonNegativeInt
    losses: NonNegativeInt
    realized_profit: ExactDecimal
    unrealized_profit: ExactDecimal
    position: ExactDecimal = Field(description="Base currency held.")
    fees_paid: ExactDecimal


class OpenPosition(BaseModel):
    model_config = MESSAGE_CONFIG

    symbol: Symbol
    amount: ExactDecimal = Field(description="Base currency held.")
    entry_price: ExactDecimal = Field(description="Average entry price, fees excluded.")
    entry_time: UtcDatetime = Field(description="Market time of the first entry fill.")
    stoploss: ExactDecimal | None = Field(default=None, description="Price at which the stop sells (trailing: now).")
    take_profit: ExactDecimal | None = Field(default=None, description="Price at which it takes profit.")


class MarketLimits(BaseModel):
    model_config = MESSAGE_CONFIG

    min_amount: ExactDecimal | None = None
    max_amount: ExactDecimal | None = None
    min_cost: ExactDecimal | None = None
    max_cost: ExactDecimal | None = None


class MarketTraded(BaseModel):
    """One market a bot trades, with the exchange's rules for it (ccxt's `precision` and `limits`)."""

    model_config = MESSAGE_CONFIG

    symbol: Symbol
    base: str
    quote: str
    price_tick: ExactDecimal = Field(description="Smallest price step, e.g. 0.01: show prices to this many decimals.")
    amount_step: ExactDecimal = Field(description="Smallest amount step, e.g. 0.00001.")
    limits: MarketLimits = Field(description="Minimum and maximum amount and order value (cost, in quote).")
