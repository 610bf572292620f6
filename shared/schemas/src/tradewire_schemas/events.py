"""Events: facts in the past tense that the trader publishes. Decode any of them through `Event`."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, NonNegativeInt, TypeAdapter

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

Mode = Literal["paper", "live"]
Side = Literal["buy", "sell"]
BotStatus = Literal["running", "stopped", "error"]
CommandName = Literal["start_bot", "stop_bot", "request_status", "halt_bot"]
Outcome = Literal["accepted", "rejected", "completed"]


class EventBase(BaseModel):
    model_config = MESSAGE_CONFIG

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


class StatusChanged(EventBase):
    type: Literal["status_change"] = "status_change"
    status: BotStatus
    reason: str
    actor: Actor = Field(description="Who caused it: a token or user name, or 'trader' itself.")


class PriceUpdated(EventBase):
    type: Literal["price_update"] = "price_update"
    symbol: Symbol
    last: ExactDecimal
    bid: ExactDecimal
    ask: ExactDecimal
    change_pct: ExactDecimal = Field(description="Change of `last` since the bot started, in percent.")
    iteration: NonNegativeInt


class StatsUpdated(EventBase):
    type: Literal["stats_update"] = "stats_update"
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


class CommandResult(EventBase):
    type: Literal["command_result"] = "command_result"
    command_id: UUID
    command: CommandName | None = Field(description="Null when the command could not even be read.")
    outcome: Outcome
    message: str


class Heartbeat(EventBase):
    type: Literal["heartbeat"] = "heartbeat"
    status: BotStatus
    interval_s: float = Field(gt=0, description="Seconds until the next heartbeat is due.")


Event = Annotated[
    TradeExecuted | StatusChanged | PriceUpdated | StatsUpdated | CommandResult | Heartbeat,
    Field(discriminator="type"),
]
EventType = Literal["trade_executed", "status_change", "price_update", "stats_update", "command_result", "heartbeat"]

events: TypeAdapter[Event] = TypeAdapter(Event)
