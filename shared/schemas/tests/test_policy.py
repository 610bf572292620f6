"""Each event class declares its own policy; the sets other modules read are derived from it."""

from __future__ import annotations

from typing import get_args

import pytest

from tradewire_schemas import (
    EventType,
    Heartbeat,
    PriceUpdated,
    StatusChanged,
    TradeExecuted,
    is_bot_id,
    is_stream_offset,
    policy,
    stream_order,
)


def test_every_event_type_of_the_union_is_one_class_with_a_policy() -> None:
    assert [policy.type_of(c) for c in policy.EVENT_CLASSES] == list(get_args(EventType))


def test_facts_that_must_not_be_lost_are_durable() -> None:
    # A trade, a status change or a command's answer skipped by a slow reader would be a lie on screen.
    assert not {"trade_executed", "status_change", "command_result"} & policy.CONFLATABLE
    assert {"price_update", "stats_update", "heartbeat"} <= policy.CONFLATABLE


def test_an_event_answers_for_its_class() -> None:
    beat = Heartbeat(bot_id="alpha", status="running", interval_s=5)
    assert (beat.conflatable, beat.state_field, beat.browser_name) == (True, "heartbeat", "heartbeat")
    assert (TradeExecuted.browser_name, TradeExecuted.recorded, TradeExecuted.traced) == ("trade", True, "debug")
    assert StatusChanged.traced == "info" and PriceUpdated.traced is None


def test_the_policy_is_no_field_on_the_wire() -> None:
    beat = Heartbeat(bot_id="alpha", status="running", interval_s=5)
    assert not {"conflatable", "state_field", "browser_name", "recorded", "traced"} & set(beat.model_dump())


def test_state_fields_and_browser_names_are_unique() -> None:
    assert len(set(policy.STATE_FIELDS.values())) == len(policy.STATE_FIELDS)
    assert len(set(policy.BROWSER_NAMES.values())) == len(policy.BROWSER_NAMES)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1700000000000-0", True),
        ("0-0", True),
        ("9999999999999999999-9999999999999999999", True),  # 19 digits: always a valid Redis id
        ("18446744073709551616-0", False),  # 20 digits may be past 2**64: Redis would refuse it in XRANGE
        ("1-0\n", False),
        ("١٢-٣", False),  # digits of another script
        ("garbage", False),
        ("1-", False),
    ],
)
def test_one_stream_offset_rule(value: str, valid: bool) -> None:
    assert is_stream_offset(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("alpha", True),
        ("a.b_c-1", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("-a", False),
        ("a\n", False),
        ("", False),
    ],
)
def test_one_bot_id_rule(value: str, valid: bool) -> None:
    assert is_bot_id(value) is valid


def test_stream_offsets_sort_as_redis_orders_them() -> None:
    assert stream_order("1700000000000-10") > stream_order("1700000000000-9") > stream_order("999999999999-99")
