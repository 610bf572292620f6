"""`./tw trader`, `watch`, `redis-cli`, ...: one Redis address for everything started from the checkout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tradewire_testing.scripts import load_script

LOCAL = Path(__file__).resolve().parents[1] / "deploy" / "local"


def load(name: str) -> ModuleType:
    return load_script(LOCAL / f"{name}.py")


@pytest.fixture
def var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TRADEWIRE_VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What launch.py would exec, instead of exec'ing it."""
    seen: dict[str, Any] = {}
    launch = load("launch")

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.update(path=path, argv=argv, env=env)

    monkeypatch.setattr(launch.os, "execve", execve)
    return seen


def test_the_address_up_recorded_is_used_when_redis_url_is_unset(var: Path) -> None:
    local_redis = load("local_redis")
    assert local_redis.address() == "redis://127.0.0.1:6379/0"  # nothing recorded: the services' default
    local_redis.record("redis://127.0.0.1:6390/0")
    assert local_redis.address() == "redis://127.0.0.1:6390/0"


def test_an_explicit_redis_url_wins_over_the_record(var: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_redis = load("local_redis")
    local_redis.record("redis://127.0.0.1:6390/0")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/2")
    assert local_redis.address() == "redis://elsewhere:6379/2"


def test_a_trader_started_through_tw_gets_ups_redis(var: Path, executed: dict[str, Any]) -> None:
    load("local_redis").record("redis://127.0.0.1:6390/0")
    load("launch").main(["trader", "--bot-id", "alpha"])
    assert executed["argv"] == [sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "alpha"]
    assert executed["env"]["REDIS_URL"] == "redis://127.0.0.1:6390/0"


def test_up_itself_does_not_inherit_the_record(var: Path, executed: dict[str, Any]) -> None:
    load("local_redis").record("redis://127.0.0.1:6390/0")
    load("launch").main(["up"])
    assert "REDIS_URL" not in executed["env"]  # up chooses (and records) the address itself


def test_redis_cli_is_pointed_at_the_recorded_redis(var: Path, executed: dict[str, Any]) -> None:
    load("local_redis").record("redis://127.0.0.1:6390/0")
    launch = load("launch")
    if launch.shutil.which("redis-cli") is None:
        pytest.skip("needs redis-cli")
    launch.main(["redis-cli", "xlen", "tw:bot:{demo}:stream"])
    assert executed["argv"][1:] == ["-u", "redis://127.0.0.1:6390/0", "xlen", "tw:bot:{demo}:stream"]


def test_an_unknown_program_is_a_clear_error(var: Path) -> None:
    with pytest.raises(SystemExit, match="unknown program 'deploy'"):
        load("launch").main(["deploy"])


def test_watch_prints_the_envelope_as_one_line_of_json_when_piped() -> None:
    envelope = {"epoch": "e", "offset": "1-0", "event": {"type": "trade_executed", "bot_id": "demo", "seq": 3}}
    line = load("watch").render(envelope, pretty=False)
    assert "\n" not in line and "\\" not in line
    assert json.loads(line) == envelope


def test_watch_on_a_terminal_is_indented_and_coloured() -> None:
    envelope = {"epoch": "e", "offset": "1-0", "event": {"type": "heartbeat", "bot_id": "demo", "seq": 9}}
    shown = load("watch").render(envelope, pretty=True)
    assert shown.splitlines()[0].startswith("\x1b[") and "heartbeat" in shown.splitlines()[0]
    assert '  \x1b[33m"offset"\x1b[0m: "1-0"' in shown


def test_watch_rejects_an_unknown_event_type(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load("watch").main(["--type", "trades"])
    assert "invalid choice: 'trades'" in capsys.readouterr().err
