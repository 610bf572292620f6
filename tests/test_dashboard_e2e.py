"""The control room end to end: a real dashboard process, a real Redis, real traders, headless Chromium.

Run alone with `uv run pytest tests/test_dashboard_e2e.py`. Screenshots go to artifacts/.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tradewire_bus import RedisBus
from tradewire_schemas import CommandResult, Heartbeat, StatsUpdated, StatusChanged, TradeExecuted
from tradewire_testing import eventually
from tradewire_testing.chromium import LoggedIn
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def dashboard_env() -> dict[str, str]:
    # Reconnect within a second of the server coming back, rather than the production 15 s at worst.
    return {"DASHBOARD_BROWSER_RECONNECT_MAX_S": "1"}


async def badge(page: Page) -> str | None:
    return await page.get_attribute("#status-badge", "data-status")


def trade(bot_id: str, n: int) -> TradeExecuted:
    side = "buy" if n % 2 else "sell"
    price = Decimal("42000") + n * 10
    return TradeExecuted(
        bot_id=bot_id,
        mode="paper",
        side=side,
        symbol="BTC/USDT",
        price=price,
        amount=Decimal("0.01"),
        cost=price / 100,
        fee=Decimal("0.42"),
        fee_currency="USDT",
        order_id=f"o-{n}",
        position=Decimal("0.01") if side == "buy" else Decimal("0"),
        balances={"USDT": Decimal("9000")},
    )


async def test_a_real_traders_trade_appears_as_toast_and_row_within_a_second(
    browser: Browser,
    dashboard: DashboardProcess,
    bus: RedisBus,
    running_trader: Callable[..., Any],
    logged_in: LoggedIn,
) -> None:
    bot = "e2e-live"
    published_at: dict[str, float] = {}  # event id -> wall-clock ms when the bus delivered it to us

    async def watch_publications() -> None:
        async with bus.subscribe(bots=[bot]) as events:
            async for item in events:
                if not hasattr(item, "event"):
                    continue
                if isinstance(item.event, TradeExecuted):
                    published_at[str(item.event.event_id)] = time.time() * 1000

    watcher = asyncio.create_task(watch_publications())
    try:
        async with running_trader(bot):
            page = await logged_in(browser, dashboard, bot)
            assert await badge(page) == "running"  # the initial status, before any trade
            await page.evaluate("""() => {
                window.rowSeenAt = {};
                new MutationObserver((changes) => {
                    for (const change of changes) for (const row of change.addedNodes) {
                        const id = row.dataset && row.dataset.eventId;
                        if (id && !(id in window.rowSeenAt)) window.rowSeenAt[id] = Date.now();
                    }
                }).observe(document.querySelector('#trades tbody'), {childList: true});
            }""")
            seen: dict[str, float] = await eventually(
                lambda: _rows_seen_after_publication(page, published_at, at_least=3),
                timeout=30,
                what="three trades published after the page opened are shown",
            )
            toast_text = await page.text_content("#toasts")
            age_text = await page.text_content("#event-age")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.emulate_media(reduced_motion="reduce")  # a still picture, without flashes mid-way
            await page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)
            logs = list(page.console_messages_seen)  # type: ignore[attr-defined]
    finally:
        watcher.cancel()

    delays = {event_id: seen[event_id] - published_at[event_id] for event_id in seen}
    assert max(delays.values()) < 1000, f"publication -> DOM took {delays} ms"
    assert toast_text and "BTC/USDT" in toast_text and bot in toast_text
    assert age_text and re.fullmatch(r"last event \d+ ms ago \(arrived in -?\d+ ms\)", age_text), age_text
    assert any(line.startswith("📡 Listening for pushed updates from bot...") for line in logs)
    assert any(line.startswith("📊 New trade pushed from bot:") for line in logs)


async def _rows_seen_after_publication(page: Page, published_at: dict[str, float], at_least: int) -> Any:
    seen: dict[str, float] = await page.evaluate("() => window.rowSeenAt")
    matched = {event_id: at for event_id, at in seen.items() if event_id in published_at}
    return matched if len(matched) >= at_least else None


async def test_stop_shows_pending_then_turns_the_badge_to_stopped(
    browser: Browser,
    dashboard: DashboardProcess,
    bus: RedisBus,
    running_trader: Callable[..., Any],
    logged_in: LoggedIn,
) -> None:
    bot = "e2e-stop"
    async with running_trader(bot):
        page = await logged_in(browser, dashboard, bot)
        await page.wait_for_selector("#status-badge[data-status=running]")
        await page.click("#stop-button")
        await page.wait_for_selector("#status-badge[data-status=stopped]", timeout=5000)
        await page.wait_for_selector("#stop-button:not(.pending)")
        snapshot = await bus.snapshot(bot)
        assert snapshot.status is not None and snapshot.status.status == "stopped"
        assert await page.is_enabled("#start-button")
        assert await page.is_disabled("#stop-button")


async def test_start_button_stays_pending_until_the_bot_control_answer(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "e2e-pending"
    await bus.publish(StatusChanged(bot_id=bot, status="stopped", reason="test", actor="trader"))
    release = asyncio.Event()

    async def slow_trader() -> None:
        async with bus.commands(bot) as inbox:
            async for command in inbox:
                await release.wait()
                await bus.publish(StatusChanged(bot_id=bot, status="running", reason="asked", actor=command.actor))
                await bus.publish(
                    CommandResult(
                        bot_id=bot,
                        command_id=command.command_id,
                        command=command.type,
                        outcome="completed",
                        message="started",
                    )
                )

    answering = asyncio.create_task(slow_trader())
    try:
        page = await logged_in(browser, dashboard, bot)
        await page.wait_for_selector("#status-badge[data-status=stopped]")
        await page.click("#start-button")
        await page.wait_for_selector("#start-button.pending[aria-busy=true]")
        assert await page.text_content("#start-button") == "Starting…"
        release.set()
        await page.wait_for_selector("#start-button:not(.pending)")
        await page.wait_for_selector("#status-badge[data-status=running]")
    finally:
        answering.cancel()


async def test_dropped_connection_reconnects_and_backfills_missed_trades_in_order(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "e2e-gap"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    before = [await bus.publish(trade(bot, n)) for n in (1, 2)]
    page = await logged_in(browser, dashboard, bot)
    await page.evaluate("""() => {
        window.tradeArrivals = [];
        const original = window.tradewire.socket.onMessage;
        window.tradewire.socket.onMessage = (m) => {
            if (m.type === 'trade') window.tradeArrivals.push(m.data.seq);
            original(m);
        };
    }""")
    live = [await bus.publish(trade(bot, n)) for n in (3, 4)]
    await page.wait_for_selector(f'#trades tr[data-event-id="{live[-1].event.event_id}"]')

    dashboard.stop()  # the server goes away: the browser's connection drops
    await page.wait_for_selector("#connection[data-state=offline]")
    missed = [await bus.publish(trade(bot, n)) for n in range(5, 10)]
    dashboard.start()
    await page.wait_for_selector("#connection[data-state=live]", timeout=20000)
    await page.wait_for_selector(f'#trades tr[data-event-id="{missed[-1].event.event_id}"]')

    ids = await page.eval_on_selector_all("#trades tbody tr", "rows => rows.map(r => r.dataset.eventId)")
    assert len(ids) == len(set(ids)), "a trade was shown twice"
    expected = [str(e.event.event_id) for e in reversed(before + live + missed)]
    assert ids == expected  # newest first, each once
    arrivals = await page.evaluate("() => window.tradeArrivals")
    assert arrivals == [e.event.seq for e in live + missed]  # pushed, then replayed in order, none twice

    # The recorder in the dashboard process kept every one of them, across its restart.
    async def history_shows_them_all() -> bool:
        await page.goto(f"{dashboard.url}/trades/?bot={bot}")
        rows = await page.eval_on_selector_all("#history-table tbody tr", "rows => rows.map(r => r.dataset.eventId)")
        return bool(rows == expected)

    await eventually(history_shows_them_all, timeout=10, interval=0.2, what="the history lists every trade")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "trade-history.png", full_page=True)


async def test_the_page_sends_nothing_while_pushes_arrive(
    browser: Browser,
    dashboard: DashboardProcess,
    running_trader: Callable[..., Any],
    logged_in: LoggedIn,
) -> None:
    bot = "e2e-quiet"
    async with running_trader(bot):
        page = await logged_in(browser, dashboard, bot)
        await page.wait_for_selector("#status-badge[data-status=running]")
        await page.wait_for_load_state("networkidle")
        requests: list[str] = []
        frames: dict[str, list[str]] = {"sent": [], "received": []}
        page.on("request", lambda request: requests.append(request.url))
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameSent", lambda event: frames["sent"].append(event["response"]["payloadData"]))
        cdp.on("Network.webSocketFrameReceived", lambda e: frames["received"].append(e["response"]["payloadData"]))
        # An observation window, not a synchronisation: over it, nothing may leave the page.
        await page.wait_for_timeout(3000)
        assert await page.get_attribute("#connection", "data-state") == "live"
    assert requests == []
    assert frames["sent"] == []
    assert len(frames["received"]) > 10  # the trader's prices and heartbeats kept arriving, pushed


async def test_the_badge_shows_offline_when_heartbeats_stop(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "e2e-silent"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    page = await logged_in(browser, dashboard, bot)
    await bus.publish(Heartbeat(bot_id=bot, status="running", interval_s=0.3))
    await page.wait_for_selector("#status-badge[data-status=running]")
    # Three missed heartbeats (0.9 s) later, with nothing pushed, the page says so by itself.
    await page.wait_for_selector("#status-badge[data-status=offline]", timeout=5000)
    await bus.publish(Heartbeat(bot_id=bot, status="running", interval_s=0.3))
    await page.wait_for_selector("#status-badge[data-status=running]")


async def test_each_bots_figures_are_kept_apart_and_chosen_with_the_keyboard(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    first, second = "e2e-fleet-a", "e2e-fleet-b"
    trade_ids: dict[str, set[str]] = {}
    for bot, trades in ((first, 3), (second, 5)):
        await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
        trade_ids[bot] = {str((await bus.publish(trade(bot, n))).event.event_id) for n in range(trades)}
        await bus.publish(stats_for(bot, trades))
    page = await logged_in(browser, dashboard, first)
    await page.wait_for_selector(f'#fleet tr[data-bot="{second}"]')
    # Panels are drawn on the next animation frame after a change: wait for the figure, then compare.
    await page.wait_for_function("() => document.querySelector('#stat-trades').textContent === '3'")

    await page.focus("#bot-select")
    while await page.input_value("#bot-select") != second:
        await page.keyboard.press("ArrowDown")
    await page.wait_for_function("() => document.querySelector('#stat-trades').textContent === '5'")
    rows = "#trades tbody tr[data-event-id]"
    ids = sorted(trade_ids[second])
    await page.wait_for_function(
        "([rows, ids]) => { const shown = [...document.querySelectorAll(rows)].map(r => r.dataset.eventId);"
        " return shown.length > 0 && shown.every(id => ids.includes(id)); }",
        arg=[rows, ids],
    )
    shown = await page.eval_on_selector_all(rows, "rows => rows.map(r => r.dataset.eventId)")
    assert shown and set(shown) <= trade_ids[second]  # recorded and last trades of this bot only
    await bus.publish(trade(first, 99))  # another bot's trade: a toast, but not in this bot's table
    await page.wait_for_selector("#toasts :text('e2e-fleet-a')")
    assert len(await page.query_selector_all(rows)) == len(shown)


def stats_for(bot_id: str, trades: int) -> StatsUpdated:
    return StatsUpdated(
        bot_id=bot_id,
        trades=trades,
        wins=1,
        losses=0,
        win_rate=Decimal("100"),
        realized_profit=Decimal("1"),
        unrealized_profit=Decimal("0"),
        equity=Decimal("10001"),
        max_drawdown=Decimal("0"),
        fees_paid=Decimal("0.1"),
        quote_currency="USDT",
    )


async def test_a_page_whose_session_ended_goes_to_the_login_page_instead_of_retrying(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    page = await logged_in(browser, dashboard, "e2e-session")
    await page.context.clear_cookies()  # as if the session expired or the user logged out elsewhere
    await page.evaluate("window.tradewire.socket.drop()")
    await page.wait_for_url(f"{dashboard.url}/accounts/login/?next=%2F", timeout=10_000)
