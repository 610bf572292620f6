from __future__ import annotations

import socket

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


def test_a_metrics_port_that_is_taken_stops_it_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("tradewire_notifier.__main__.configure_logging", lambda *args: None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("NOTIFIER_METRICS_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("NOTIFIER_DESTINATIONS", '[{"kind": "slack", "name": "s", "url": "http://127.0.0.1:9/x"}]')
        assert main([]) == 2
    assert "cannot serve metrics" in caplog.text
