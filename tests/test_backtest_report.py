"""A backtest report as a trader opens it: `python -m tradewire_trader backtest run` writes the page, and
headless Chromium renders it from disk with no network, no console error and three drawn charts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import Browser

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]


def test_the_reports_chart_library_is_the_dashboards_vendored_copy() -> None:
    # Both come from `./tw vendor-charts`; a report must not drift from the live chart's library.
    vendored = ROOT / "services/dashboard/src/tradewire_dashboard/static/dashboard/vendor"
    ours = ROOT / "services/trader/src/tradewire_trader/backtest/vendor"
    for name in ("lightweight-charts.standalone.production.js", "lightweight-charts.LICENSE"):
        assert (ours / name).read_bytes() == (vendored / name).read_bytes(), name


async def test_a_report_page_renders_offline_without_console_errors(tmp_path: Path, browser: Browser) -> None:
    command = [sys.executable, "-m", "tradewire_trader", "backtest", "run", "--candles", "6000", "--name", "page-test"]
    command += ["--reports-dir", str(tmp_path), "--param", "fast=5", "--param", "slow=30"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "total return" in finished.stdout and "per exit reason" in finished.stdout
    report = json.loads((tmp_path / "page-test.json").read_text())
    assert report["figures"]["trades"] > 0

    page = await browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in {"error", "warning"} else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    await page.goto((tmp_path / "page-test.html").as_uri())
    await page.wait_for_function("document.body.dataset.rendered === 'yes'", timeout=15_000)
    for chart in ("price", "equity", "drawdown"):
        size = await page.eval_on_selector(f"#{chart} canvas", "c => [c.width, c.height]")
        assert size[0] > 100 and size[1] > 50, (chart, size)
    text = await page.inner_text("pre")
    assert "max drawdown" in text and "per month" in text
    assert problems == []
    assert [url for url in requests if not url.startswith("file://")] == []  # self-contained: works offline
    await page.close()
