from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from pydantic import ValidationError

from tradewire_schemas import Command, CommandExpired, StartBot, StopBot, decode_command, encode
from tradewire_testing.strategies import commands

ISSUED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@given(commands())
def test_every_command_round_trips_through_json(command: Command) -> None:
    assert decode_command(encode(command)) == command


def test_expiry_defaults_to_thirty_seconds_after_issue() -> None:
    command = StopBot(bot_id="alpha", actor="ops", issued_at=ISSUED)
    assert command.expires_at == ISSUED + timedelta(seconds=30)


def test_an_expired_command_is_refused_with_how_late_it_was() -> None:
    command = StartBot(bot_id="alpha", actor="ops", issued_at=ISSUED, expires_at=ISSUED + timedelta(seconds=5))
    command.ensure_fresh(ISSUED + timedelta(seconds=4))  # still in time: no error
    with pytest.raises(CommandExpired, match=r"start_bot .* arrived 2\.000 s late: not executed"):
        command.ensure_fresh(ISSUED + timedelta(seconds=7))


def test_expiry_before_issue_is_rejected() -> None:
    with pytest.raises(ValidationError, match="expires_at must be later than issued_at"):
        StopBot(bot_id="alpha", actor="ops", issued_at=ISSUED, expires_at=ISSUED - timedelta(seconds=1))


def test_commands_need_an_actor() -> None:
    with pytest.raises(ValidationError, match="actor"):
        StopBot(bot_id="alpha")  # type: ignore[call-arg]
