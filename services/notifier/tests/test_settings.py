from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewire_notifier.settings import Settings, TelegramDestination, WebhookDestination


def test_destinations_are_read_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    destinations = [
        {"kind": "webhook", "name": "ops", "url": "http://127.0.0.1:9/h", "secret": "x" * 16},
        {"kind": "telegram", "name": "tg", "token": "1:t", "chat_ids": [42], "rules": {"min_profit": "5"}},
    ]
    monkeypatch.setenv("NOTIFIER_DESTINATIONS", json.dumps(destinations))
    monkeypatch.setenv("NOTIFIER_DELIVERY", "ignored")  # unknown variables are left alone
    hook, telegram = Settings().destinations
    assert isinstance(hook, WebhookDestination) and hook.secret.get_secret_value() == "x" * 16
    assert isinstance(telegram, TelegramDestination) and telegram.rules.min_profit == Decimal(5)
    assert telegram.command_chat_ids == [], "no chat may command unless listed"
    assert "x" * 16 not in repr(hook), "secrets stay out of logs"


@pytest.mark.parametrize(
    "destinations",
    [
        [{"kind": "slack", "name": "a", "url": "u"}, {"kind": "discord", "name": "a", "url": "u"}],  # same name
        [{"kind": "webhook", "name": "w", "url": "u", "secret": "short"}],  # a guessable secret
        [{"kind": "pager", "name": "p"}],  # no such kind
        [{"kind": "slack", "name": "s", "url": "u", "rules": {"min_loss": "-1"}}],
        [{"kind": "slack", "name": "s", "url": "u", "rules": {"topics": ["prices"]}}],
    ],
)
def test_a_wrong_destination_is_refused(destinations: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        Settings(destinations=destinations)  # type: ignore[arg-type]
