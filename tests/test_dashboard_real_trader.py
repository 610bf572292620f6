"""The trading view fed by a real trader process (no stand-in on the bus): its stored candles drawn at
once when the page opens, then live ones; its trades as markers; its open position valued as the
trader values it; and Close position end to end (page -> dashboard socket -> bus -> trader -> a sell
with the reason "manual" -> the row goes). Headless Chromium at 1440x900; screenshots in artifacts/.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from tradewire_bus import RedisBus
from tradewire_testing import RedisServer, eventually
from tradewire_testing.chromium import LoggedIn
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _number(text: str | None) -> Decimal:
    match = re.search(r"[-+]?[\d,]+(\.\d+)?", text or "")
    assert match, text
    return Decimal(match.group(0).replace(",", ""))


@pytest.mark.timeout(180)
async def test_a_real_traders_candles_trades_and_position_on_the_page(
    browser: Browser,
    dashboard: DashboardProcess,
    redis_for_module: RedisServer,
    start_trader: Callable[..., Any],
    logged_in: LoggedIn,
) -> None:
    bot = "real-view"
    async with RedisBus.connect(redis_for_module.url) as bus:
        with start_trader(redis_for_module.url, bot, "--stats-every-s", "1"):
            stored_enough = lambda: _candles_at_least(bus, bot, 30)  # noqa: E731
            await eventually(stored_enough, timeout=90, interval=0.2, what="30 candles stored")
            stored = await bus.candles(bot, limit=300)
            page = await logged_in(browser, dashboard, bot, viewport={"width": 1440, "height": 900})
            chart = f"window.tradewire.bots.get('{bot}').chart"
            # History on load: the first message about the bot brought at least what the bus held before.
            first = await page.evaluate(f"() => {chart}.candles[0].time")
            assert first <= int(stored[0].open_time.timestamp())
            assert await page.evaluate(f"() => {chart}.candles.length") >= len(stored)
            assert any(line.startswith("🕯️") for line in page.console_messages_seen)  # type: ignore[attr-defined]
            known = await page.evaluate(f"() => {chart}.candles.length")
            await page.wait_for_function(f"() => {chart}.candles.length > {known}", timeout=20_000)  # live
            lines = await page.evaluate(f"() => [...{chart}.plots.keys()]")
            assert lines, "the strategy's plot series are drawn"
            await page.wait_for_function(f"() => {chart}.markers.length > 0", timeout=30_000)

            # An open position: stop the bot, so that the price stands still, and ask for a fresh status.
            # The strategy trades every few seconds: stop it while it holds a position (try again if it
            # sold just before the stop).
            row = '#positions tr[data-symbol="BTC/USDT"]'
            for _ in range(5):
                await page.wait_for_selector(row, timeout=60_000)
                await page.click("#stop-button")
                await page.wait_for_selector("#status-badge[data-status=stopped]")
                held = await bus.snapshot(bot)
                if held.positions is not None and held.positions.positions:
                    break
                await page.click("#start-button")
                await page.wait_for_selector("#status-badge[data-status=running]")
            asked_at = (await bus.snapshot(bot)).seq
            await page.click("#refresh-button")  # the trader republishes its stats, then its price

            seen: list[Any] = []

            async def settled() -> Any:
                snapshot = await bus.snapshot(bot)
                shown = await page.text_content(f"{row} [data-field=current]")
                seen[:] = [shown, snapshot.price and snapshot.price.last, snapshot.positions, snapshot.stats]
                if snapshot.positions is None or not snapshot.positions.positions or snapshot.stats is None:
                    return None
                if snapshot.stats.seq <= asked_at or snapshot.price is None or snapshot.price.seq < snapshot.stats.seq:
                    return None  # not yet the stats and price republished together
                cents = Decimal("0.01")
                if snapshot.price is None or _number(shown) != snapshot.price.last.quantize(cents, ROUND_HALF_UP):
                    return None
                return snapshot

            try:
                snapshot = await eventually(settled, timeout=15, interval=0.2, what="the page shows the last price")
            except AssertionError:
                raise AssertionError(f"page and trader never agreed: {seen}") from None
            position = snapshot.positions.positions[0]
            unrealized = _number(await page.text_content(f"{row} [data-field=unrealized]"))
            # The trader's own figure (its stats, at the same price), to the cent the page shows.
            assert abs(unrealized - snapshot.stats.unrealized_profit) <= Decimal("0.01"), (
                unrealized,
                snapshot.stats.unrealized_profit,
                position,
            )
            await page.screenshot(path=ARTIFACTS / "real-trader.png", full_page=True)

            # Close it: confirmed in the browser, carried out by the trader (it fills on the next candle).
            page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
            await page.click(f"{row} button.close-position")
            await page.wait_for_selector("#toasts :text('close position BTC/USDT real-view: completed')")
            if await page.is_enabled("#start-button"):  # a stopped paper bot fills on its next candle
                await page.click("#start-button")
            await page.wait_for_selector("#positions td.empty", timeout=30_000)
            await page.wait_for_selector("#trades td[data-field=why]:text-matches('^manual')", timeout=10_000)
            errors = list(page.errors_seen)  # type: ignore[attr-defined]
    assert errors == []


async def _candles_at_least(bus: RedisBus, bot: str, count: int) -> bool:
    return len(await bus.candles(bot, limit=count)) >= count
