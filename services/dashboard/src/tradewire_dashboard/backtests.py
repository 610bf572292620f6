"""Stored backtest reports: a page listing them and each report's own HTML page.

The trader's `backtest` command writes `<name>.json` and `<name>.html` into one folder
(`DASHBOARD_BACKTESTS_DIR`, the same as the trader's `BACKTEST_REPORTS_DIR`, var/backtests by default);
this reads the JSON for the list and serves the HTML as it was written. The dashboard does not import
the trader: only the report's file format is shared (its `tradewire_backtest` version field).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

REPORT_FORMAT = 1
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# A report page runs its own inline chart script. Sandboxed without same-origin, it is an opaque origin:
# it can draw, but cannot read the dashboard's cookies or call its API, whatever a report contains.
REPORT_POLICY = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'none'"
)


def _folder() -> Path:
    return Path(settings.TRADEWIRE.backtests_dir)


def _summary(path: Path) -> dict[str, Any] | None:
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or report.get("tradewire_backtest") != REPORT_FORMAT:
        return None
    run, figures = report.get("run", {}), report.get("figures", {})
    return {
        "name": path.stem,
        "created": report.get("created", ""),
        "strategy": run.get("strategy", ""),
        "parameters": ", ".join(f"{k}={v}" for k, v in run.get("parameters", {}).items()),
        "symbols": ", ".join(run.get("symbols", [])),
        "timeframe": run.get("timeframe", ""),
        "candles": run.get("candles"),
        "total_return_pct": figures.get("total_return_pct"),
        "buy_and_hold_pct": figures.get("buy_and_hold_pct"),
        "max_drawdown_pct": figures.get("max_drawdown", {}).get("pct"),
        "sharpe": figures.get("sharpe"),
        "trades": figures.get("trades"),
        "win_rate_pct": figures.get("win_rate_pct"),
        "has_page": path.with_suffix(".html").is_file(),
    }


@login_required
def backtest_list(request: HttpRequest) -> HttpResponse:
    folder = _folder()
    found = [_summary(path) for path in folder.glob("*.json")] if folder.is_dir() else []
    reports = sorted((r for r in found if r is not None), key=lambda r: r["created"], reverse=True)
    return render(request, "dashboard/backtests.html", {"reports": reports, "folder": folder})


@login_required
def backtest_page(request: HttpRequest, name: str) -> HttpResponse:
    if not SAFE_NAME.match(name):
        raise Http404("no such report")
    path = _folder() / f"{name}.html"
    if not path.is_file():
        raise Http404("no such report")
    response = FileResponse(path.open("rb"), content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = REPORT_POLICY
    return response
