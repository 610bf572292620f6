"""What travels between the consumer and the browser: pushed messages out, commands in.

Out, every message is `{"type": ..., "bot_id": ..., "offset": ..., "data": {...}}` where `offset` is
the bus stream offset it reflects (the browser resumes after it). Decimals stay exact strings.
In, the browser sends `{"command": "start_bot" | "stop_bot" | "request_status" | "halt_bot" | "close_position",
"bot_id": ..., "symbol": ...}` (`symbol` with close_position only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from tradewire_bus import BotSnapshot, Resync
from tradewire_schemas import BotId, CandleClosed, CommandName, Envelope, Event, Symbol, encode, policy, wrap
from tradewire_schemas.commands import symbol_only_to_close
from tradewire_schemas.wire import describe

# The event types browsers see: each event class names its browser message type (`browser_name`, the
# original design's names). Command results are not among them: the browser that asked gets its
# `bot_control` answer directly.
RELAYED_EVENT_TYPES = frozenset(policy.BROWSER_NAMES)

Message = dict[str, Any]


class BrowserCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command: CommandName
    bot_id: BotId
    request_id: str | None = Field(default=None, max_length=64, description="Echoed back in `bot_control`.")
    symbol: Symbol | None = Field(default=None, description="close_position: the market; absent closes all.")

    @model_validator(mode="after")
    def _symbol_only_to_close(self) -> Self:
        symbol_only_to_close(self.command, self.symbol)
        return self


class BadBrowserInput(ValueError):
    pass


_browser_commands = TypeAdapter(BrowserCommand)


def parse_browser_command(text: str | None, max_bytes: int) -> BrowserCommand:
    if text is None:
        raise BadBrowserInput("binary frames are not understood; send JSON text")
    if len(text.encode()) > max_bytes:
        raise BadBrowserInput(f"frame of {len(text.encode())} bytes is larger than the {max_bytes} allowed")
    try:
        return _browser_commands.validate_json(text)
    except ValidationError as error:
        raise BadBrowserInput(f"not a command: {describe(error)}") from None


def _event_data(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json")
    return data


def encode_envelope(envelope: Envelope) -> str | None:
    """The browser message for a bus event, or None when browsers have no use for it: what the consumers
    send, cached per event by the runtime. The event's own encoding is wrapped, not encoded again."""
    event = envelope.event
    if (kind := event.browser_name) is None:
        return None
    return wrap({"type": kind, "bot_id": event.bot_id, "offset": envelope.offset}, "data", encode(event))


def for_resync(resync: Resync) -> Message:
    return {"type": "resync", "bot_id": resync.bot_id, "offset": None, "data": {"reason": resync.reason}}


def for_candles(bot_id: str, candles: Sequence[CandleClosed]) -> Message:
    """The bot's recent candles, oldest first, sent once when a page connects: its chart's history."""
    return {
        "type": "candles",
        "bot_id": bot_id,
        "offset": None,
        "data": {"candles": [_event_data(candle) for candle in candles]},
    }


def for_snapshot(snapshot: BotSnapshot) -> Message:
    """The initial `status`: status, position, balance, price, stats and markets from the bot's latest state."""
    trade = snapshot.trade
    return {
        "type": "status",
        "bot_id": snapshot.bot_id,
        "offset": snapshot.offset,
        "data": {
            "status": snapshot.status.status if snapshot.status else None,
            "reason": snapshot.status.reason if snapshot.status else None,
            "liveness": snapshot.liveness(),
            "position": format(trade.position, "f") if trade else None,
            "balances": {currency: format(value, "f") for currency, value in trade.balances.items()} if trade else {},
            "positions": _event_data(snapshot.positions)["positions"] if snapshot.positions else None,
            "markets": _event_data(snapshot.markets)["markets"] if snapshot.markets else None,
            "price": _event_data(snapshot.price) if snapshot.price else None,
            "stats": _event_data(snapshot.stats) if snapshot.stats else None,
            "heartbeat": _event_data(snapshot.heartbeat) if snapshot.heartbeat else None,
            "last_trade": _event_data(trade) if trade else None,
        },
    }


def bot_control(
    command: BrowserCommand, *, outcome: str, message: str, actor: str, command_id: str | None = None
) -> Message:
    """The answer to a command: `ok` only when the trader completed it."""
    return {
        "type": "bot_control",
        "bot_id": command.bot_id,
        "offset": None,
        "data": {
            "command": command.command,
            "symbol": command.symbol,
            "command_id": command_id,
            "request_id": command.request_id,
            "outcome": outcome,
            "ok": outcome == "completed",
            "message": message,
            "actor": actor,
        },
    }


def error(message: str) -> Message:
    return {"type": "error", "bot_id": None, "offset": None, "data": {"message": message}}


def dumps(message: Message) -> str:
    return json.dumps(message, separators=(",", ":"))
