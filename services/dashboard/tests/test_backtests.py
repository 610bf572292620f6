"""The Backtests page lists stored reports and serves each one's page, sandboxed, to logged-in users only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tradewire_dashboard.config import Settings

from .test_views import login


@pytest.fixture
def reports(database: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(django_settings, "TRADEWIRE", database.model_copy(update={"backtests_dir": tmp_path}))
    return tmp_path


def write_report(folder: Path, name: str, created: str, total: float) -> None:
    report = {
        "tradewire_backtest": 1,
        "name": name,
        "created": created,
        "run": {
            "strategy": "sma_crossover", "parameters": {"fast": "5"}, "symbols": ["BTC/USDT"], "timeframe": "1m",
            "candles": 100,
        },
        "figures": {
            "total_return_pct": total, "buy_and_hold_pct": 1.5, "max_drawdown": {"pct": 3.25}, "sharpe": None,
            "trades": 7, "win_rate_pct": 42.86,
        },
    }  # fmt: skip
    (folder / f"{name}.json").write_text(json.dumps(report))
    (folder / f"{name}.html").write_text(
        f"<!DOCTYPE html><title>{name}</title><script>document.title += ' ok'</script>"
    )


def test_the_page_lists_reports_newest_first_with_their_figures(reports: Path) -> None:
    write_report(reports, "old-run", "2026-01-01T00:00:00+00:00", 12.5)
    write_report(reports, "new-run", "2026-02-01T00:00:00+00:00", -4.25)
    (reports / "notes.json").write_text('{"something": "else"}')  # not a report: left out
    client = Client()
    login(client, "backtest-viewer-1", can_control=False)
    html = client.get("/backtests/").content.decode()
    assert html.index("new-run") < html.index("old-run")
    assert "-4.25" in html and "12.50" in html and "3.25" in html
    assert "notes" not in html
    assert 'href="/backtests/new-run/"' in html


def test_a_report_page_is_served_sandboxed(reports: Path) -> None:
    write_report(reports, "run-1", "2026-01-01T00:00:00+00:00", 1.0)
    client = Client()
    login(client, "backtest-viewer-2", can_control=False)
    response = client.get("/backtests/run-1/")
    assert response.status_code == 200
    assert b"<title>run-1</title>" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response["Content-Security-Policy"].startswith("sandbox allow-scripts;")


def test_unknown_or_escaping_names_are_not_found_and_login_is_required(reports: Path) -> None:
    write_report(reports, "run-1", "2026-01-01T00:00:00+00:00", 1.0)
    assert Client().get("/backtests/run-1/").status_code == 302
    client = Client()
    login(client, "backtest-viewer-3", can_control=False)
    assert client.get("/backtests/missing/").status_code == 404
    assert client.get("/backtests/..%2Fsecret/").status_code == 404


def test_an_empty_folder_says_how_to_make_a_report(reports: Path) -> None:
    client = Client()
    login(client, "backtest-viewer-4", can_control=False)
    assert "No reports yet" in client.get("/backtests/").content.decode()
