from __future__ import annotations

import pytest
from telegram import Bot

from tradewire_notifier.telegram_commands import parse

BOT = Bot("1:token")


def message(text: str, chat_id: int = 42) -> dict[str, object]:
    return {
        "update_id": 7,
        "message": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": text},
    }


def test_a_command_is_its_word_without_the_slash_or_the_bot_name_and_its_arguments() -> None:
    request = parse(message("/Stop@tradewire_bot alpha"), BOT)
    assert request is not None and (request.chat_id, request.command, request.args) == (42, "stop", ["alpha"])


@pytest.mark.parametrize("update", [message("hello"), {"update_id": 8}, {"update_id": 9, "edited_message": None}])
def test_updates_without_a_command_are_no_request(update: dict[str, object]) -> None:
    assert parse(update, BOT) is None


@pytest.mark.parametrize(
    "update", [{"update_id": 1, "message": "garbage"}, {"update_id": 2, "message": {"text": "/x"}}]
)
def test_a_malformed_update_raises_for_the_caller_to_count_and_skip(update: dict[str, object]) -> None:
    with pytest.raises(Exception):  # noqa: B017 (whatever the library's parser raises on it)
        parse(update, BOT)
