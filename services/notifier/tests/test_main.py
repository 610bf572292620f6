from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from notifier_harness import a_notice

from tradewire_notifier.__main__ import main
from tradewire_notifier.store import Store


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


def test_dead_letters_are_listed_and_can_be_queued_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "n.sqlite3"
    store = Store(state)
    notice = a_notice()
    store.record({}, [("hook", notice, 0.0)])
    store.dead("hook", [notice.event_id], "HTTP 410: gone")
    store.close()
    monkeypatch.setenv("NOTIFIER_STATE_FILE", str(state))
    assert main(["--dead-letters"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed == [{"destination": "hook", "event_id": notice.event_id, "attempts": 1, "error": "HTTP 410: gone"}]
    assert main(["--retry-dead", "hook"]) == 0
    assert "1 message(s) of hook queued again" in capsys.readouterr().out
    reopened = Store(state)
    assert [p.event_id for p in reopened.due("hook", 1e12, 10)] == [notice.event_id]
    assert reopened.dead_letters() == []
