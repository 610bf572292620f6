"""The command line: flags override the environment, which overrides the defaults."""

from __future__ import annotations

import argparse
from decimal import Decimal as D
from pathlib import Path

import pytest

from tradewire_trader.__main__ import FLAGS, main, parser, settings_from


def test_no_flags_and_no_environment_give_the_demo_paper_trader(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "TRADER_REDIS_URL", "TRADER_BOT_ID", "TRADER_SPEED"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_from(parser().parse_args(["run"]))
    assert (settings.bot_id, settings.symbol, settings.mode) == ("demo", "BTC/USDT", "paper")
    assert settings.source == "synthetic"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.state_path == Path("trader-state/demo.sqlite3")
    assert settings.price_every == 10


def test_environment_settings_are_read_and_plain_redis_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.1:6379/1")
    monkeypatch.setenv("TRADER_BOT_ID", "alpha")
    monkeypatch.setenv("TRADER_STRATEGY", "rsi_reversion")
    monkeypatch.setenv("TRADER_BUS__NAMESPACE", "staging")
    settings = settings_from(parser().parse_args(["run"]))
    assert settings.redis_url == "redis://10.0.0.1:6379/1"
    assert (settings.bot_id, settings.strategy) == ("alpha", "rsi_reversion")
    assert settings.bus.namespace == "staging"
    assert settings.state_path == Path("trader-state/alpha.sqlite3")


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADER_REDIS_URL", "redis://env:6379/0")
    monkeypatch.setenv("TRADER_BOT_ID", "alpha")
    monkeypatch.setenv("TRADER_SPEED", "5")
    args = parser().parse_args(
        [
            "run",
            "--bot-id",
            "beta",
            "--speed",
            "0",
            "--redis-url",
            "redis://flag:6379/0",
            "--strategy",
            "sma_crossover",
            "--fast",
            "3",
            "--slow",
            "9",
            "--order-size",
            "0.5",
            "--source",
            "replay",
        ]
    )
    settings = settings_from(args)
    assert (settings.bot_id, settings.speed, settings.redis_url) == ("beta", 0, "redis://flag:6379/0")
    assert (settings.fast, settings.slow, settings.order_size, settings.source) == (3, 9, D("0.5"), "replay")


def test_invalid_settings_exit_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--bot-id", "no spaces allowed"]) == 2
    error = capsys.readouterr().err
    assert "invalid settings" in error and "bot_id" in error


def test_strategy_parameters_that_cannot_work_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--fast", "30", "--slow", "20"]) == 2
    assert "fast (30) must be shorter than slow (20)" in capsys.readouterr().err


def test_an_unknown_symbol_is_refused_before_anything_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(
        [
            "run",
            "--symbol",
            "DOGE/USDT",
            "--state-file",
            str(tmp_path / "s.sqlite3"),
            "--redis-url",
            "redis://127.0.0.1:1/0",
        ]
    )
    assert code == 2
    assert "DOGE/USDT is not in the markets" in capsys.readouterr().err


def _run_flags() -> list[argparse.Action]:
    commands = next(action for action in parser()._actions if isinstance(action, argparse._SubParsersAction))
    return [action for action in commands.choices["run"]._actions if action.option_strings != ["-h", "--help"]]


def test_every_run_flag_says_what_it_does_and_its_environment_variable() -> None:
    flags = _run_flags()
    assert len(flags) == len(FLAGS)
    for action in flags:
        assert action.help and len(action.help) > 10, action.option_strings
        if action.dest != "redis_url":
            assert f"env TRADER_{action.dest.upper()}" in action.help


def test_run_help_shows_the_settings_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        parser().parse_args(["run", "--help"])
    assert ended.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "default sma_crossover" in shown and "default 600.0" in shown


def test_an_unknown_flag_is_refused_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["run", "--speeed", "0"])
    assert ended.value.code == 2
    assert "unrecognized arguments: --speeed" in capsys.readouterr().err
