"""Events: facts in the past tense that the trader publishes. Decode any of them through `Event`."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, FiniteFloat, NonNegativeInt, PositiveInt, StringConstraints, TypeAdapter

from tradewire_schemas.primitives import (
    MESSAGE_CONFIG,
    SCHEMA_VERSION,
    Actor,
    BotId,
    ExactDecimal,
    Symbol,
    UtcDatetime,
    utc_now,
)
from tradewire_schemas.values import (
    TRADE_REASONS,
    BotStatus,
    CommandName,
    Liquidity,
    MarketLimits,
    MarketTraded,
    Mode,
    OpenPosition,
    OrderKind,
    Outcome,
    PlotName,
    Side,
    SymbolStats,
    Tag,
    TradeEntry,
    TradeReason,
)

Traced = Literal["info", "debug"]


class EventBase(BaseModel):
    """What every event carries, and what the rest of tradewire does with its kind (the ClassVars).

    The policy is declared here, on each event class, and read from here by the bus, the gateway and
    the dashboard: adding an event type is adding one class (docs/architecture.md).
    """

    model_config = MESSAGE_CONFIG

    conflatable: ClassVar[bool] = False
    """A newer one of the same bot carries the full current value, so a slow or resuming reader may
    skip older ones. Otherwise the event is durable: every reader gets every one, in order."""
    state_field: ClassVar[str | None] = None
    """The field of the bot's latest-state hash (and of `BotSnapshot`) that keeps the newest one."""
    browser_name: ClassVar[str | None] = None
    """The dashboard pushes it to browsers as a message of this type; None: browsers never see it."""
    recorded: ClassVar[bool] = False
    """The dashboard's recorder keeps it in its database."""
    traced: ClassVar[Traced | None] = None
    """Each relay is logged with its ids, to follow it across services: at info (facts an operator
    acts on) or at debug (frequent ones)."""

    # Every concrete event narrows `type` to its own literal; it comes first so the wire JSON reads well.
    type: str
    v: int = Field(default=SCHEMA_VERSION, ge=1, description="Schema version of the writer.")
    event_id: UUID = Field(default_factory=uuid4)
    bot_id: BotId
    seq: NonNegativeInt = Field(
        default=0,
        description="Per-bot sequence number assigned by the bus at publish (0 until published).",
    )
    ts: UtcDatetime = Field(default_factory=utc_now, description="When the fact happened (UTC).")


class TradeExecuted(EventBase):
    type: Literal["trade_executed"] = "trade_executed"
    state_field = "trade"
    browser_name = "trade"
    recorded = True
    traced = "debug"

    mode: Mode
    side: Side
    symbol: Symbol
    price: ExactDecimal
    amount: ExactDecimal = Field(description="Base currency amount filled.")
    cost: ExactDecimal = Field(description="Quote currency value: price x amount, before fees.")
    fee: ExactDecimal = Field(description="The fee in the coin it was charged in (`fee_currency`).")
    fee_currency: str
    fee_quote: ExactDecimal | None = Field(
        default=None,
        description="The fee valued in the quote currency (a base-coin fee at the fill price, BNB at its ticker); "
        "null from traders that predate it.",
    )
    order_id: str
    realized_profit: ExactDecimal | None = Field(
        default=None, description="Quote currency profit of a sell, fees included; null for buys."
    )
    realized_profit_pct: ExactDecimal | None = Field(
        default=None, description="Profit of a sell as a percentage of its cost basis; null for buys."
    )
    position: ExactDecimal = Field(description="Base currency held after the fill.")
    balances: dict[str, ExactDecimal] = Field(description="Free + used balance per currency after the fill.")
    # v2: what the market and the strategy said. All optional: traders before v2 do not write them.
    market_time: UtcDatetime | None = Field(
        default=None,
        description="Market time of the fill: the open time of the candle it happened in (`ts` is wall time).",
    )
    order_type: OrderKind | None = None
    liquidity: Liquidity | None = Field(default=None, description="maker (a resting limit) or taker.")
    reason: TradeReason | None = Field(
        default=None, description="Why: " + ", ".join(TRADE_REASONS) + " (new reasons may appear)."
    )
    tag: Tag | None = Field(default=None, description="The strategy's own label for the decision, if any.")
    entry: TradeEntry | None = Field(
        default=None, description="On an exit: the entry it closed; the profit is `realized_profit_pct`."
    )


class StatusChanged(EventBase):
    type: Literal["status_change"] = "status_change"
    state_field = "status"
    browser_name = "status_change"
    traced = "info"

    status: BotStatus
    reason: str
    actor: Actor = Field(description="Who caused it: a token or user name, or 'trader' itself.")


class PriceUpdated(EventBase):
    type: Literal["price_update"] = "price_update"
    conflatable = True
    state_field = "price"
    browser_name = "price"

    symbol: Symbol
    last: ExactDecimal
    bid: ExactDecimal
    ask: ExactDecimal
    change_pct: ExactDecimal = Field(description="Change of `last` since the bot started, in percent.")
    iteration: NonNegativeInt


class StatsUpdated(EventBase):
    type: Literal["stats_update"] = "stats_update"
    conflatable = True
    state_field = "stats"
    browser_name = "stats"

    trades: NonNegativeInt
    wins: NonNegativeInt
    losses: NonNegativeInt
    win_rate: ExactDecimal = Field(description="Winning sells / closed sells, in percent.")
    realized_profit: ExactDecimal
    unrealized_profit: ExactDecimal
    equity: ExactDecimal = Field(description="Cash plus position at the last price, in the quote currency.")
    max_drawdown: ExactDecimal = Field(description="Largest peak-to-trough fall of equity, in percent.")
    fees_paid: ExactDecimal
    quote_currency: str
    symbols: list[SymbolStats] | None = Field(
        default=None, description="Per symbol, when the bot trades several (v3); the fields above are the bot's sums."
    )


class CommandResult(EventBase):
    type: Literal["command_result"] = "command_result"
    traced = "info"

    command_id: UUID
    command: CommandName | None = Field(description="Null when the command could not even be read.")
    outcome: Outcome
    message: str


class Heartbeat(EventBase):
    type: Literal["heartbeat"] = "heartbeat"
    conflatable = True
    state_field = "heartbeat"
    browser_name = "heartbeat"

    status: BotStatus
    interval_s: float = Field(gt=0, description="Seconds until the next heartbeat is due.")


class CandleClosed(EventBase):
    """A candle the bot traded on, with the values of the series its strategy declares to plot.

    Conflatable (a slow reader may skip some); the bus also keeps the last ones per bot in a capped
    candle stream, so a chart can draw the recent past when it opens (`RedisBus.candles`).
    """

    type: Literal["candle_closed"] = "candle_closed"
    conflatable = True
    browser_name = "candle"

    symbol: Symbol
    timeframe: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[smhdwM]$")] = Field(
        description="Candle width in ccxt's notation: 1m, 5m, 1h, 1d."
    )
    open_time: UtcDatetime = Field(description="Market time the candle opened.")
    open: ExactDecimal
    high: ExactDecimal
    low: ExactDecimal
    close: ExactDecimal
    volume: ExactDecimal
    plots: dict[PlotName, FiniteFloat | None] = Field(
        default_factory=dict,
        description="The strategy's plot series at this candle (e.g. sma_fast); null while warming up. "
        "Display values (floats), never money.",
    )


class PositionsChanged(EventBase):
    """Every open position of the bot, after a change (a fill, a trailing stop moving). Latest wins."""

    type: Literal["positions_changed"] = "positions_changed"
    conflatable = True
    state_field = "positions"
    browser_name = "positions"

    positions: list[OpenPosition] = Field(description="Open positions, one per symbol; empty when flat.")


class OrderRefused(EventBase):
    """An order the strategy or a rule asked for that was not placed or not filled, and why."""

    type: Literal["order_refused"] = "order_refused"
    browser_name = "order_refused"
    symbol: Symbol
    side: Side
    order_type: OrderKind
    amount: ExactDecimal = Field(description="Base amount asked for (before rounding).")
    price: ExactDecimal | None = Field(description="Limit price, or the reference price of a market order.")
    reason: str = Field(description="What the exchange or the pre-trade check said.")
    limits: MarketLimits | None = Field(default=None, description="The market's limits, when they were the cause.")
    refusals_in_a_row: PositiveInt = Field(default=1, description="Refusals since the last accepted order.")
    tag: Tag | None = None


class MarketsLoaded(EventBase):
    """The markets the bot trades and their precision and limits; sent at start, latest wins (v3)."""

    type: Literal["markets_loaded"] = "markets_loaded"
    conflatable = True
    state_field = "markets"
    browser_name = "markets"
    recorded = True  # the history and the admin write each market at its precision

    markets: list[MarketTraded] = Field(description="One per symbol the bot trades, in the bot's order.")


Event = Annotated[
    TradeExecuted
    | StatusChanged
    | PriceUpdated
    | StatsUpdated
    | CommandResult
    | Heartbeat
    | CandleClosed
    | PositionsChanged
    | OrderRefused
    | MarketsLoaded,
    Field(discriminator="type"),
]
EventType = Literal[
    "trade_executed",
    "status_change",
    "price_update",
    "stats_update",
    "command_result",
    "heartbeat",
    "candle_closed",
    "positions_changed",
    "order_refused",
    "markets_loaded",
]

events: TypeAdapter[Event] = TypeAdapter(Event)
