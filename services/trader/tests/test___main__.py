"""The command line: flags override the environment, which overrides the defaults."""

from __future__ import annotations

import argparse
from decimal import Decimal as D
from pathlib import Path

import pytest

from tradewire_trader.__main__ import FLAGS, main, parser, settings_from
from tradewire_trader.components import build_strategy
from tradewire_trader.strategies.sma_crossover import SmaCrossover, SmaParams


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
    args = parser(SmaCrossover).parse_args(
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
    assert (settings.strategy_params, settings.order_size, settings.source) == (
        {"fast": "3", "slow": "9"},
        D("0.5"),
        "replay",
    )
    assert build_strategy(settings, {}).params == SmaParams(fast=3, slow=9)


def test_strategy_parameters_come_from_flags_then_the_environment_then_defaults() -> None:
    settings = settings_from(parser(SmaCrossover).parse_args(["run", "--fast", "4"]))
    strategy = build_strategy(settings, {"TRADER_FAST": "2", "TRADER_SLOW": "12"})
    assert strategy.params == SmaParams(fast=4, slow=12)
    assert build_strategy(settings_from(parser().parse_args(["run"])), {}).params == SmaParams()


def test_invalid_settings_exit_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--bot-id", "no spaces allowed"]) == 2
    error = capsys.readouterr().err
    assert "invalid settings" in error and "bot_id" in error


def test_strategy_parameters_that_cannot_work_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--fast", "30", "--slow", "20"]) == 2
    assert "the fast window (30) must be shorter than the slow one (20)" in capsys.readouterr().err
    assert main(["run", "--strategy", "rsi_reversion", "--rsi-period", "many"]) == 2
    assert "invalid parameters for RsiReversion: rsi_period" in capsys.readouterr().err


def test_an_unknown_strategy_is_refused_saying_how_to_name_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--strategy", "moon_shot"]) == 2
    assert "unknown strategy 'moon_shot'" in capsys.readouterr().err
    assert main(["run", "--strategy", "no_such_module:Thing"]) == 2
    assert "cannot import strategy module 'no_such_module'" in capsys.readouterr().err


def test_an_unknown_symbol_is_refused_before_anything_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(
        [
            "run",
            "--symbol",
            "PEPE/USDT",
            "--state-file",
            str(tmp_path / "s.sqlite3"),
            "--redis-url",
            "redis://127.0.0.1:1/0",
        ]
    )
    assert code == 2
    assert "PEPE/USDT is not a known market" in capsys.readouterr().err


def _run_flags() -> list[argparse.Action]:
    commands = next(
        action for action in parser(SmaCrossover)._actions if isinstance(action, argparse._SubParsersAction)
    )
    return [action for action in commands.choices["run"]._actions if action.option_strings != ["-h", "--help"]]


def test_every_run_flag_says_what_it_does_and_its_environment_variable() -> None:
    flags = _run_flags()
    assert len(flags) == len(FLAGS) + 2  # the default strategy's fast and slow
    for action in flags:
        assert action.help and len(action.help) > 10, action.option_strings
        if action.dest != "redis_url":
            assert f"env TRADER_{action.dest.removeprefix('param_').upper()}" in action.help


def test_run_help_shows_the_settings_defaults_and_the_chosen_strategys_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["run", "--strategy", "bollinger_reversion", "--help"])
    assert ended.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "default sma_crossover" in shown and "default 600.0" in shown
    assert "parameters of bollinger_reversion" in shown
    assert "--bb-width BB_WIDTH Bollinger Bands: standard deviations to each band; default 2.0" in shown
    assert "env TRADER_BB_WIDTH" in shown


def test_an_unknown_flag_is_refused_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["run", "--speeed", "0"])
    assert ended.value.code == 2
    assert "unrecognized arguments: --speeed" in capsys.readouterr().err
