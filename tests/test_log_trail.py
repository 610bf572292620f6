"""One id, followed by grep: a command from the gateway through the trader to the dashboard, in JSON logs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradewire_testing import RedisServer, answers_ok, eventually_sync, free_port
from tradewire_testing.processes import service_environment, spawn, stop_gracefully

pytestmark = pytest.mark.redis

TOKEN = "ops-token-for-the-log-trail-test"


def json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue  # e.g. the dashboard's credentials banner, printed for people
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


def mentions(log: Path, field: str, value: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(log) if line.get(field) == value]


@pytest.fixture
def system(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[str, Path]]:
    base = service_environment(redis_server.url) | {
        "TRADER_LOG_FORMAT": "json",
        "GATEWAY_LOG_FORMAT": "json",
        "DASHBOARD_LOG_FORMAT": "json",
        "DASHBOARD_LOG_LEVEL": "debug",  # hubs log each relayed trade at debug only
    }
    gateway_port, dashboard_port = free_port(), free_port()
    processes = [
        spawn(
            [
                sys.executable,
                "-m",
                "tradewire_trader",
                "run",
                "--bot-id",
                "trail",
                "--state-file",
                str(tmp_path / "trail.sqlite3"),
            ],
            base,
            tmp_path / "trader.log",
        ),
        spawn(
            [sys.executable, "-m", "tradewire_gateway"],
            base
            | {
                "GATEWAY_PORT": str(gateway_port),
                "GATEWAY_TOKENS": json.dumps([{"name": "ops", "token": TOKEN, "scopes": ["read", "control"]}]),
            },
            tmp_path / "gateway.log",
        ),
        spawn(
            [sys.executable, "-m", "tradewire_dashboard", "serve"],
            base
            | {
                "DASHBOARD_PORT": str(dashboard_port),
                "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
            },
            tmp_path / "dashboard.log",
        ),
    ]
    url = f"http://127.0.0.1:{gateway_port}"
    try:

        def ready() -> bool:
            return answers_ok(f"{url}/readyz") and answers_ok(f"http://127.0.0.1:{dashboard_port}/accounts/login/")

        eventually_sync(ready, timeout=30, interval=0.1, what="gateway and dashboard ready")
        yield url, tmp_path
    finally:
        for process in processes:
            stop_gracefully(process)


def test_one_command_id_can_be_followed_through_every_service(system: tuple[str, Path]) -> None:
    url, logs = system
    eventually_sync(
        lambda: mentions(logs / "dashboard.log", "bot_id", "trail"), timeout=30, what="the dashboard hears the trader"
    )
    answer = httpx.post(
        f"{url}/api/v1/bots/trail/commands",
        json={"command": "stop_bot"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=15,
    )
    assert answer.status_code == 200, answer.text
    command_id = answer.json()["command_id"]

    def trail() -> dict[str, list[dict[str, Any]]]:
        found = {
            name: mentions(logs / f"{name}.log", "command_id", command_id)
            for name in ("gateway", "trader", "dashboard")
        }
        return found if all(found.values()) else {}

    found = eventually_sync(trail, timeout=15, what=f"command {command_id} in every service's log")
    assert any("stop_bot" in line["message"] for line in found["trader"])
    assert any("relayed command_result" in line["message"] for line in found["dashboard"])
    assert all(line["bot_id"] == "trail" for lines in found.values() for line in lines)


def test_a_trade_event_id_can_be_followed_from_the_trader_to_the_dashboard(system: tuple[str, Path]) -> None:
    _, logs = system

    def traded() -> list[str]:
        return [
            line["event_id"]
            for line in json_lines(logs / "trader.log")
            if "event_id" in line and line["message"].startswith(("buy", "sell"))
        ]

    event_id = eventually_sync(traded, timeout=60, what="the trader traded")[0]
    relayed = eventually_sync(
        lambda: mentions(logs / "dashboard.log", "event_id", event_id),
        timeout=15,
        what=f"trade {event_id} in the dashboard's log",
    )
    assert relayed[0]["message"].startswith("relayed trade_executed")
