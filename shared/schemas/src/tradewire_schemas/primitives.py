"""Field types shared by every message: exact decimals, bot ids, UTC timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

# Bumped for additive changes only (a new optional field, a new event type). A breaking change gets a
# new `type` name instead, so a reader never mistakes one shape for another. See docs/versioning.md.
SCHEMA_VERSION = 3  # 2: trade_executed's market time, order type, reason and entry; candles, positions,
# refusals. 3: markets_loaded (the markets a bot trades, with precision and limits); stats per symbol.

MESSAGE_CONFIG = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="float")


def _refuse_binary_float(value: Any) -> Any:
    # A JSON number such as 0.1 has already lost exactness by the time it is a float, and bool is an
    # int subclass that would silently become 0 or 1. Both are refused; decimals travel as strings.
    if isinstance(value, bool | float):
        raise ValueError('exact decimals travel as strings (e.g. "0.1"), not as binary floats')
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite decimal")
    return value


def _plain(value: Decimal) -> str:
    # 'f' keeps "0.00001" readable in redis-cli instead of "1E-5"; both are exact.
    return format(value, "f")


ExactDecimal = Annotated[
    Decimal,
    BeforeValidator(_refuse_binary_float),
    AfterValidator(_finite),
    PlainSerializer(_plain, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+(\.\d+)?$",
            "description": "An exact decimal number written as a string.",
            "examples": ["42000.50", "0.001"],
        }
    ),
]

# The one bot-id rule: every service validates bot ids with `BotId` or `is_bot_id`, never its own regex.
BOT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
BotId = Annotated[
    str,
    StringConstraints(pattern=BOT_ID_PATTERN),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": BOT_ID_PATTERN,
            "description": "Letters, digits, '_', '.', '-'; it becomes part of Redis key names.",
        }
    ),
]
_BOT_ID = re.compile(BOT_ID_PATTERN)


def is_bot_id(value: str) -> bool:
    return _BOT_ID.fullmatch(value) is not None


# The one stream-offset rule: a Redis stream entry id, "<milliseconds>-<sequence>". Redis takes two
# unsigned 64-bit numbers; up to 19 digits always fits (a 20-digit part may not, and XRANGE would fail),
# and real offsets have 13 (milliseconds since 1970). A pattern alone, so the JSON Schema and OpenAPI
# say exactly what is accepted. ASCII digits only (Python's \d takes other scripts too), anchored at
# both ends: a forged envelope's offset "garbage" once became the recorder's cursor and failed every restart.
STREAM_OFFSET_PATTERN = r"^[0-9]{1,19}-[0-9]{1,19}$"
_STREAM_OFFSET = re.compile(STREAM_OFFSET_PATTERN)
STREAM_OFFSET_HELP = "a stream offset is <milliseconds>-<sequence>, e.g. 1700000000000-0"


def is_stream_offset(value: str) -> bool:
    return _STREAM_OFFSET.fullmatch(value) is not None


def stream_order(offset: str) -> tuple[int, int]:
    """A stream offset ("1700000000000-3") as a key that sorts the way Redis orders its entries."""
    millis, _, sequence = offset.partition("-")
    return int(millis), int(sequence or 0)


StreamOffset = Annotated[str, StringConstraints(pattern=STREAM_OFFSET_PATTERN)]

Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$")]

Actor = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def utc_now() -> datetime:
    return datetime.now(UTC)
