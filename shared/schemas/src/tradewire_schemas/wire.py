"""Decoding from the wire: one entry point per kind, clear errors, and the forward-compatibility rule.

Rule: a reader rejects fields it does not know, unless the message says it was written by a newer
schema version (`v` greater than ours). Then the unknown fields are an additive change it may ignore.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tradewire_schemas.commands import Command, commands
from tradewire_schemas.events import Event, events
from tradewire_schemas.primitives import MESSAGE_CONFIG, SCHEMA_VERSION, StreamOffset


class MessageRejected(ValueError):
    """Raw input that is not a valid message. `str()` says what was wrong, field by field."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"rejected {kind}: {reason}")
        self.kind = kind
        self.reason = reason


class Envelope(BaseModel):
    """What the bus PUBLISHes: the event with its stream offset and the Redis data epoch."""

    model_config = MESSAGE_CONFIG

    epoch: str = Field(description="Changes when Redis lost its data; a reader must then resync.")
    offset: StreamOffset = Field(description="Stream entry id of the event (`<ms>-<n>`): resume from here.")
    event: Event


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "message"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _newer_writer(raw: Any) -> bool:
    return isinstance(raw, dict) and isinstance(raw.get("v"), int) and raw["v"] > SCHEMA_VERSION


def _drop_unknown(raw: dict[str, Any], error: ValidationError) -> dict[str, Any] | None:
    """Strip the fields a newer writer added, or None when anything else is wrong too."""
    cleaned = dict(raw)
    for item in error.errors():
        if item["type"] != "extra_forbidden":
            return None
        # loc is (tag, field) for a discriminated union member, or (field,) for a plain model.
        cleaned.pop(str(item["loc"][-1]), None)
    return cleaned


SecondChance = Callable[[Any, str, Any, ValidationError], Any]


def _decode(adapter: Any, kind: str, raw: bytes | str, second_chance: SecondChance | None = None) -> Any:
    try:
        return adapter.validate_json(raw)
    except ValidationError as strict_error:
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise MessageRejected(kind, describe(strict_error)) from None
        return (second_chance or _decode_newer)(adapter, kind, parsed, strict_error)


def _decode_newer(adapter: Any, kind: str, parsed: Any, strict_error: ValidationError) -> Any:
    """The second chance the rule gives a newer writer: read it without the fields it added."""
    if _newer_writer(parsed) and (cleaned := _drop_unknown(parsed, strict_error)) is not None:
        try:
            return adapter.validate_python(cleaned)
        except ValidationError as error:
            raise MessageRejected(kind, describe(error)) from None
    raise MessageRejected(kind, describe(strict_error)) from None


def _envelope_of_newer_event(adapter: Any, kind: str, parsed: Any, strict_error: ValidationError) -> Any:
    """The envelope itself is ours and strict; only the event inside may come from a newer writer."""
    if not (isinstance(parsed, dict) and _newer_writer(parsed.get("event"))):
        raise MessageRejected(kind, describe(strict_error)) from None
    try:
        event = events.validate_python(parsed["event"])
    except ValidationError as event_error:
        event = _decode_newer(events, "event", parsed["event"], event_error)
    try:
        return adapter.validate_python({**parsed, "event": event})
    except ValidationError as error:
        raise MessageRejected(kind, describe(error)) from None


_envelopes: TypeAdapter[Envelope] = TypeAdapter(Envelope)


def decode_event(raw: bytes | str) -> Event:
    result: Event = _decode(events, "event", raw)
    return result


def decode_envelope(raw: bytes | str) -> Envelope:
    """An envelope as the bus PUBLISHes it; its event is read by the same rule as `decode_event`."""
    result: Envelope = _decode(_envelopes, "envelope", raw, _envelope_of_newer_event)
    return result


def decode_command(raw: bytes | str) -> Command:
    result: Command = _decode(commands, "command", raw)
    return result


def encode(message: BaseModel) -> str:
    """The one JSON form of a message, wherever it is stored or sent (stream, state hash, outbox, frames)."""
    return message.model_dump_json()


def wrap(fields: Mapping[str, str | None], key: str, body: str) -> str:
    """`{"<field>":<value>,...,"<key>":<body>}`, `body` being an already encoded message.

    Every wire form that carries an event wraps its one encoding this way instead of encoding it again:
    the bus envelope (`encode_envelope`; its twin is the publish script, which wraps the same bytes in
    Redis), the gateway's event frame and the dashboard's browser message.
    """
    head = "".join(f"{json.dumps(name)}:{json.dumps(value)}," for name, value in fields.items())
    return f"{{{head}{json.dumps(key)}:{body}}}"


def encode_envelope(envelope: Envelope) -> str:
    """The envelope as the bus PUBLISHes it (byte for byte what `Envelope.model_dump_json` writes)."""
    return wrap({"epoch": envelope.epoch, "offset": envelope.offset}, "event", encode(envelope.event))
