"""The control room's trading view, end to end through a real dashboard process, a real Redis and
headless Chromium: candles with history on load and live, the strategy's lines, trade markers with their
tooltip, open positions valued at the last price, and close position answered through the bus.

The facts are published on the bus as a trader publishes them (`tests/test_dashboard_real_trader.py`
runs the same views against a real trader process). Screenshots go to artifacts/.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from tradewire_bus import RedisBus
from tradewire_schemas import (
    CandleClosed,
    CommandResult,
    OpenPosition,
    PositionsChanged,
    PriceUpdated,
    StatusChanged,
    TradeEntry,
    TradeExecuted,
)
from tradewire_testing.chromium import LoggedIn
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def candle(bot: str, n: int) -> CandleClosed:
    close = Decimal("42000") + Decimal(n % 17) * 7 - Decimal(n % 5) * 3
    return CandleClosed(
        bot_id=bot,
        symbol="BTC/USDT",
        timeframe="1m",
        open_time=START + timedelta(minutes=n),
        open=close - 5,
        high=close + 9,
        low=close - 11,
        close=close,
        volume=Decimal("3.25") + n % 4,
        plots={"sma_fast": float(close) - 2, "sma_slow": None if n < 20 else float(close) - 6},
    )


def sell_at(bot: str, n: int) -> TradeExecuted:
    return TradeExecuted(
        bot_id=bot,
        mode="paper",
        side="sell",
        symbol="BTC/USDT",
        price=Decimal("42100.5"),
        amount=Decimal("0.01"),
        cost=Decimal("421.005"),
        fee=Decimal("0.42"),
        fee_currency="USDT",
        order_id=f"sell-{n}",
        realized_profit=Decimal("3.2"),
        realized_profit_pct=Decimal("0.77"),
        position=Decimal("0"),
        balances={"USDT": Decimal("10003.2")},
        market_time=START + timedelta(minutes=n),
        order_type="market",
        liquidity="taker",
        reason="stoploss",
        entry=TradeEntry(price=Decimal("41776"), market_time=START, duration_s=n * 60.0),
    )


async def test_the_chart_shows_the_recent_candles_at_once_then_live_ones_with_lines_and_markers(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "view-candles"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    for n in range(120):
        await bus.publish(candle(bot, n))
    trade = await bus.publish(sell_at(bot, 100))
    page = await logged_in(browser, dashboard, bot, viewport=DESKTOP)
    chart = f"window.tradewire.bots.get('{bot}').chart"
    # History on load: every stored candle at once, not only what arrives while the page is open.
    await page.wait_for_function(f"() => {chart}.candles.length === 120")
    assert await page.evaluate(f"() => {chart}.volumes.length") == 120
    assert await page.evaluate(f"() => {chart}.plots.get('sma_fast').length") == 120
    assert await page.evaluate(f"() => {chart}.plots.get('sma_slow').length") == 100  # null while warming up
    assert await page.evaluate(f"() => {chart}.markers.length") == 1
    await bus.publish(candle(bot, 120))
    await page.wait_for_function(f"() => {chart}.candles.length === 121")  # then live
    newest = await page.evaluate(f"() => {chart}.candles[120]")
    assert (newest["time"], newest["close"]) == (int((START + timedelta(minutes=120)).timestamp()), 42000 + 1 * 7 - 0)

    # The marker's tooltip: price, amount, profit and why.
    marker_time = int((START + timedelta(minutes=100)).timestamp())
    x = await page.evaluate(f"() => window.tradewire.chart.chart.timeScale().timeToCoordinate({marker_time})")
    box = await page.eval_on_selector("#chart", "el => { const r = el.getBoundingClientRect(); return [r.x, r.y]; }")
    await page.mouse.move(box[0] + x, box[1] + 150)
    await page.wait_for_selector("#chart-tooltip:not([hidden])")
    tip = await page.text_content("#chart-tooltip")
    assert tip == "SELL 0.01 @ 42,100.50 · +3.20 USDT (+0.77 %) · stoploss", tip
    row = f'#trades tr[data-event-id="{trade.event.event_id}"]'
    assert await page.text_content(f"{row} [data-field=why]") == "stoploss"
    assert await page.text_content(f"{row} [data-field=held]") == "1h 40m"
    await page.mouse.move(5, 5)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.emulate_media(reduced_motion="reduce")
    await page.screenshot(path=ARTIFACTS / "trading-view.png", full_page=True)
    assert page.errors_seen == []  # type: ignore[attr-defined]


async def test_an_open_position_is_valued_at_the_last_price_and_closed_with_confirmation(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "view-position"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    await bus.publish(candle(bot, 30))
    position = OpenPosition(
        symbol="BTC/USDT",
        amount=Decimal("0.25"),
        entry_price=Decimal("40000"),
        entry_time=START + timedelta(minutes=10),
        stoploss=Decimal("39000"),
        take_profit=Decimal("42000"),
    )
    await bus.publish(PositionsChanged(bot_id=bot, positions=[position]))
    closes: list[Any] = []

    async def trader_side() -> None:
        async with bus.commands(bot) as inbox:
            async for command in inbox:
                closes.append(command)
                await bus.publish(PositionsChanged(bot_id=bot, positions=[]))
                await bus.publish(
                    CommandResult(
                        bot_id=bot,
                        command_id=command.command_id,
                        command=command.type,
                        outcome="completed",
                        message="sold 0.25 BTC at market",
                    )
                )

    answering = asyncio.create_task(trader_side())
    try:
        page = await logged_in(browser, dashboard, bot, viewport=DESKTOP)
        await bus.publish(
            PriceUpdated(
                bot_id=bot, symbol="BTC/USDT", last=Decimal("40500"), bid=Decimal("40499"), ask=Decimal("40501"),
                change_pct=Decimal("1.2"), iteration=3,
            )
        )  # fmt: skip
        row = '#positions tr[data-symbol="BTC/USDT"]'
        await page.wait_for_selector(f"{row} [data-field=current]:text('40,500.00')")
        cells = await page.eval_on_selector_all(
            f"{row} td[data-field]", "cells => Object.fromEntries(cells.map(c => [c.dataset.field, c.textContent]))"
        )
        assert cells == {
            "symbol": "BTC/USDT",
            "amount": "0.25",
            "entry": "40,000.00",
            "current": "40,500.00",
            "unrealized": "+125.00 USDT",  # (40,500 - 40,000) x 0.25
            "unrealized-pct": "+1.25 %",
            "held": "20m 0s",  # market time: the newest candle (minute 30) less the entry (minute 10)
            "stoploss": "39,000.00",
            "take-profit": "42,000.00",
        }
        assert await page.get_attribute(f"{row} [data-field=unrealized]", "class") == "num gain"
        await page.screenshot(path=ARTIFACTS / "positions.png", full_page=False)

        # A live update changes the row's figures in place: the Close button under the pointer stays the same
        # element (a button replaced on every price would swallow the click, as it did on a busy bot).
        button = await page.query_selector(f"{row} button.close-position")
        assert button is not None
        await bus.publish(
            PriceUpdated(
                bot_id=bot, symbol="BTC/USDT", last=Decimal("40600"), bid=Decimal("40599"), ask=Decimal("40601"),
                change_pct=Decimal("1.5"), iteration=4,
            )
        )  # fmt: skip
        await page.wait_for_selector(f"{row} [data-field=current]:text('40,600.00')")
        assert await button.evaluate("el => el.isConnected"), "the Close button was replaced by a live update"

        # Dismissing the confirmation sends nothing; accepting it sends close_position for that market.
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
        await page.click(f"{row} button.close-position")
        assert closes == []
        messages: list[str] = []
        page.once("dialog", lambda dialog: (messages.append(dialog.message), asyncio.ensure_future(dialog.accept())))
        await page.click(f"{row} button.close-position")
        await page.wait_for_selector("#positions td.empty:text('No open position.')")
        await page.wait_for_selector("#toasts :text('close position BTC/USDT view-position: completed')")
    finally:
        answering.cancel()
    assert messages == ["Close the BTC/USDT position of view-position: sell 0.25 BTC at market now?"]
    assert [(c.type, c.symbol, c.actor) for c in closes] == [("close_position", "BTC/USDT", dashboard.username)]
    assert page.errors_seen == []  # type: ignore[attr-defined]


async def test_open_positions_fit_a_phone(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "view-offline-position"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    position = OpenPosition(
        symbol="ETH/USDT", amount=Decimal("1"), entry_price=Decimal("2000"), entry_time=START
    )  # fmt: skip
    await bus.publish(PositionsChanged(bot_id=bot, positions=[position]))
    page = await logged_in(browser, dashboard, bot, viewport=PHONE)
    button = '#positions tr[data-symbol="ETH/USDT"] button.close-position'
    await page.wait_for_selector(button)
    # No heartbeat ever came: the bot's liveness is unknown but its status is known, so it may be closed.
    assert await page.is_enabled(button)
    card = await page.eval_on_selector(".positions-card", "el => [el.scrollWidth, el.clientWidth]")
    assert card[0] <= card[1], f"the positions card is wider than the phone: {card}"  # its table scrolls inside
    await page.screenshot(path=ARTIFACTS / "positions-phone.png", full_page=True)
