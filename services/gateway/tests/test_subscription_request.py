from __future__ import annotations

import pytest

from tradewire_gateway.subscription_request import SubscriptionRequest


def test_nothing_asked_means_every_bot_and_type_with_a_snapshot() -> None:
    request = SubscriptionRequest.parse({})
    assert (request.bots, request.types, dict(request.after), request.snapshot) == (None, None, {}, True)


def test_bots_and_types_may_be_comma_separated_or_repeated() -> None:
    request = SubscriptionRequest.parse({"bots": ["alpha,beta", "gamma"], "types": ["trade_executed, heartbeat"]})
    assert request.bots == frozenset({"alpha", "beta", "gamma"})
    assert request.types == frozenset({"trade_executed", "heartbeat"})
    assert request.only_bot is None


def test_after_resumes_named_bots_and_turns_the_snapshot_off() -> None:
    request = SubscriptionRequest.parse({"after": ["alpha:1700000000000-3", "beta:1-0"]})
    assert dict(request.after) == {"alpha": "1700000000000-3", "beta": "1-0"}
    assert request.snapshot is False


def test_a_bare_offset_applies_to_the_only_chosen_bot() -> None:
    request = SubscriptionRequest.parse({"bots": ["alpha"], "after": ["5-0"], "snapshot": ["true"]})
    assert dict(request.after) == {"alpha": "5-0"}
    assert request.snapshot is True
    assert request.only_bot == "alpha"


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"colour": ["blue"]}, "unknown query parameters"),
        ({"bots": ["-alpha"]}, "not a bot id"),
        ({"types": ["trade"]}, "unknown event types"),
        ({"after": ["5-0"]}, "exactly one bot"),
        ({"bots": ["alpha"], "after": ["beta:5-0"]}, "not in bots"),
        ({"after": ["alpha:five"]}, "stream offset"),
        ({"after": ["alpha:\u0661-0"]}, "stream offset"),
        ({"snapshot": ["maybe"]}, "true or false"),
    ],
)
def test_anything_not_understood_is_refused_with_a_reason(params: dict[str, list[str]], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        SubscriptionRequest.parse(params)
