from __future__ import annotations

from tradewire_gateway.commander import command_id_for


def test_an_idempotency_key_always_gives_the_same_command_id_for_the_same_request() -> None:
    assert command_id_for("ops", "alpha", "start_bot", "k1") == command_id_for("ops", "alpha", "start_bot", "k1")


def test_the_id_differs_for_another_actor_bot_command_or_key() -> None:
    base = command_id_for("ops", "alpha", "start_bot", "k1")
    assert base != command_id_for("robot", "alpha", "start_bot", "k1")
    assert base != command_id_for("ops", "beta", "start_bot", "k1")
    assert base != command_id_for("ops", "alpha", "stop_bot", "k1")
    assert base != command_id_for("ops", "alpha", "start_bot", "k2")


def test_without_a_key_every_command_is_new() -> None:
    assert command_id_for("ops", "alpha", "start_bot", None) != command_id_for("ops", "alpha", "start_bot", None)
