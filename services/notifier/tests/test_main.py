from __future__ import annotations

import pytest

from tradewire_notifier.__main__ import main


def test_without_destinations_it_says_how_to_configure_one_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("NOTIFIER_DESTINATIONS", raising=False)
    # The process's logging setup would replace pytest's handlers for every later test in this process.
    monkeypatch.setattr("tradewire_notifier.__main__.configure_logging", lambda *args: None)
    assert main([]) == 2
    assert "set NOTIFIER_DESTINATIONS" in caplog.text


def test_invalid_settings_exit_2_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFIER_DESTINATIONS", "not json")
    assert main([]) == 2
    assert "invalid settings" in capsys.readouterr().err


def test_help_answers_without_starting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--help"])
    assert ended.value.code == 0 and "NOTIFIER_" in capsys.readouterr().out
