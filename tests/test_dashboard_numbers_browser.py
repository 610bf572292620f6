"""The live page's number rules (static/dashboard/market_numbers.js) give the same text as the server's
(tradewire_dashboard.market_numbers) for every shared case, in Debian's Chromium (holding, a balance, is
the page's alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "services/dashboard/src/tradewire_dashboard/static/dashboard/market_numbers.js"
CASES: list[dict[str, Any]] = json.loads((ROOT / "services/dashboard/tests/market_number_cases.json").read_text())


async def test_the_page_writes_every_number_as_the_server_does(browser: Browser) -> None:
    page = await browser.new_page()
    await page.set_content("<!doctype html><title>numbers</title>")
    await page.add_script_tag(content=SCRIPT.read_text())
    written = await page.evaluate(
        """(cases) => cases.map((c) => {
            const args = [...c.args];
            if (c.kwargs) args.push(c.kwargs);
            return MarketNumbers[c.fn](...args);
        })""",
        CASES,
    )
    assert written == [case["expect"] for case in CASES]
    await page.close()
