from __future__ import annotations

import json

from tradewire_dashboard.browser_messages import RELAYED_EVENT_TYPES, encode_envelope
from tradewire_schemas import CommandResult, Envelope, policy
from tradewire_testing.factories import trade


def test_a_trade_reaches_the_browser_under_its_browser_name_with_the_event_unchanged() -> None:
    event = trade(order_id="é-1")  # non-ASCII travels as UTF-8, not escaped: the same JSON either way
    text = encode_envelope(Envelope(epoch="e", offset="5-0", event=event))
    assert text is not None
    assert json.loads(text) == {
        "type": "trade",
        "bot_id": event.bot_id,
        "offset": "5-0",
        "data": event.model_dump(mode="json"),
    }


def test_what_browsers_have_no_use_for_is_not_encoded() -> None:
    result = CommandResult(
        bot_id="alpha", command_id=trade().event_id, command="stop_bot", outcome="completed", message=""
    )
    assert encode_envelope(Envelope(epoch="e", offset="5-0", event=result)) is None
    assert frozenset(policy.BROWSER_NAMES) == RELAYED_EVENT_TYPES
    assert "command_result" not in RELAYED_EVENT_TYPES
