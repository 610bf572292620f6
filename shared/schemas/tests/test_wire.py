from __future__ import annotations

import json

import pytest

from tradewire_schemas import (
    SCHEMA_VERSION,
    Envelope,
    Heartbeat,
    MessageRejected,
    StatusChanged,
    decode_command,
    decode_envelope,
    decode_event,
    encode,
    encode_envelope,
    wrap,
)


def status_json(**extra: object) -> str:
    wire = json.loads(encode(StatusChanged(bot_id="alpha", status="running", reason="started", actor="ops")))
    wire.update(extra)
    return json.dumps(wire)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json at all", "Invalid JSON"),
        ('{"type": "nonsense"}', "does not match any of the expected tags"),
        ('{"bot_id": "a"}', "Unable to extract tag using discriminator"),
        ("[1, 2]", "Input should be an object"),
        ('{"type": "heartbeat", "bot_id": "a", "status": "running", "interval_s": "soon"}', "interval_s"),
    ],
)
def test_garbage_is_rejected_with_a_clear_reason(raw: str, reason: str) -> None:
    with pytest.raises(MessageRejected, match=reason) as caught:
        decode_event(raw)
    assert str(caught.value).startswith("rejected event:")


def test_a_newer_writer_may_add_fields_old_readers_skip() -> None:
    decoded = decode_event(status_json(v=SCHEMA_VERSION + 1, mood="cheerful"))
    assert isinstance(decoded, StatusChanged)
    assert decoded.v == SCHEMA_VERSION + 1


def test_unknown_fields_from_a_same_version_writer_are_rejected() -> None:
    with pytest.raises(MessageRejected, match="mood: Extra inputs are not permitted"):
        decode_event(status_json(mood="cheerful"))


def test_a_newer_writer_still_cannot_break_known_fields() -> None:
    with pytest.raises(MessageRejected, match="status"):
        decode_event(status_json(v=SCHEMA_VERSION + 1, mood="x", status="sleeping"))


def test_an_event_is_not_a_command() -> None:
    with pytest.raises(MessageRejected, match="rejected command"):
        decode_command(status_json())


def test_envelope_carries_event_with_offset_and_epoch() -> None:
    beat = Heartbeat(bot_id="alpha", seq=7, status="running", interval_s=5)
    envelope = Envelope.model_validate_json(
        json.dumps({"epoch": "e1", "offset": "1-0", "event": json.loads(encode(beat))})
    )
    assert envelope.event == beat
    assert envelope.offset == "1-0"


def envelope_json(event_json: str, **extra: object) -> str:
    return json.dumps({"epoch": "e1", "offset": "1-0", "event": json.loads(event_json), **extra})


def test_an_envelope_reads_its_event_by_the_same_rule_as_decode_event() -> None:
    newer = status_json(v=SCHEMA_VERSION + 1, mood="cheerful")
    envelope = decode_envelope(envelope_json(newer))
    assert envelope.event == decode_event(newer)
    assert envelope.offset == "1-0"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (envelope_json(status_json(mood="cheerful")), "mood: Extra inputs are not permitted"),
        (envelope_json(status_json(v=SCHEMA_VERSION + 1, status="sleeping")), "status"),
        (envelope_json(status_json(v=SCHEMA_VERSION + 1), seen_by="x"), "seen_by: Extra inputs are not permitted"),
        (envelope_json(status_json(v=SCHEMA_VERSION + 1), offset="garbage"), "offset"),
        ("not json", "Invalid JSON"),
    ],
)
def test_an_envelope_is_strict_except_for_a_newer_event(raw: str, reason: str) -> None:
    with pytest.raises(MessageRejected, match=reason):
        decode_envelope(raw)


def test_the_envelope_encoder_writes_what_pydantic_would_byte_for_byte() -> None:
    beat = Heartbeat(bot_id="alpha", seq=7, status="running", interval_s=5)
    envelope = Envelope(epoch="e1", offset="1-0", event=beat)
    assert encode_envelope(envelope) == envelope.model_dump_json()
    assert decode_envelope(encode_envelope(envelope)) == envelope


def test_wrap_puts_an_encoded_body_after_plain_fields() -> None:
    assert wrap({"type": "x", "offset": None}, "data", '{"a":1}') == '{"type":"x","offset":null,"data":{"a":1}}'
