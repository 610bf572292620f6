"""How the control room draws and what its performance panels cover, through a real dashboard process
(serve + record), a real Redis and headless Chromium:

- a burst of trades is drawn in frames, not per message: each panel at most once per animation frame,
  the trades table capped and updated in place;
- daily profit, the equity curve and the per-symbol table cover the bot's whole recorded history (trades
  recorded before the page opened, more than the page is rendered with), then count live trades once;
- prices and amounts are written at the market's tick and step from the trader's `markets_loaded`.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from tradewire_bus import RedisBus
from tradewire_schemas import MarketLimits, MarketsLoaded, MarketTraded, StatusChanged, TradeEntry, TradeExecuted
from tradewire_testing import eventually
from tradewire_testing.chromium import LoggedIn
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
DAY_ONE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _trade(bot: str, n: int, *, symbol: str = "BTC/USDT", profit: str | None = "1.5") -> TradeExecuted:
    closing = profit is not None
    return TradeExecuted(
        bot_id=bot,
        mode="paper",
        side="sell" if closing else "buy",
        symbol=symbol,
        price=Decimal("40800.925"),
        amount=Decimal("0.0123456"),
        cost=Decimal("503.7"),
        fee=Decimal("0.5"),
        fee_currency="USDT",
        order_id=f"o-{n}",
        realized_profit=Decimal(profit) if closing else None,
        realized_profit_pct=Decimal(profit) / 10 if closing else None,
        position=Decimal("0"),
        balances={"USDT": Decimal("10000")},
        market_time=DAY_ONE + timedelta(hours=7 * n),  # ~3.4 trades a market day
        reason="stoploss" if closing else "signal",
        entry=TradeEntry(price=Decimal("40000"), market_time=DAY_ONE, duration_s=600.0) if closing else None,
    )


async def _recorded(dashboard: DashboardProcess, bot: str, cookie: str) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{dashboard.url}/trades.csv?bot={bot}", headers={"Cookie": cookie})
    return len(list(csv.DictReader(io.StringIO(response.text))))


async def test_a_burst_of_trades_is_drawn_at_most_once_per_frame_and_in_place(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot, burst = "burst", 300
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    page = await logged_in(browser, dashboard, bot, viewport=DESKTOP)
    await page.wait_for_selector(f'#fleet tr[data-bot="{bot}"]')
    # A mark on the fleet row: drawn in place, the same element must still be there after the burst.
    await page.evaluate(f"() => {{ document.querySelector('#fleet tr[data-bot=\"{bot}\"]').kept = true; }}")
    before = await page.evaluate("() => structuredClone(window.tradewire.loop.counts)")
    published = await asyncio.gather(*(bus.publish(_trade(bot, n)) for n in range(burst)))
    newest = max(envelope.event.seq for envelope in published)
    state = f"window.tradewire.bots.get('{bot}')"
    await page.wait_for_function(f"() => {state}.trades.length === 200 && {state}.trades[0].seq === {newest}")
    await page.wait_for_function("() => document.querySelectorAll('#trades tbody tr').length === 100")
    after = await page.evaluate("() => structuredClone(window.tradewire.loop.counts)")
    frames = after["frames"] - before["frames"]
    drawn = {name: after["renders"][name] - before["renders"][name] for name in after["renders"]}
    print(f"\n{burst} trades: {frames} frames drawn, {drawn}, {after['marks'] - before['marks']} marks")
    assert 0 < drawn["trades"] <= frames  # never twice in a frame...
    assert drawn["trades"] < burst  # ...and not once per message: several arrived in one frame
    assert drawn["fleet"] <= frames and drawn["performance"] <= frames
    rows = await page.eval_on_selector_all("#trades tbody tr", "rows => rows.map(r => Number(r.dataset.seq))")
    assert rows == sorted(rows, reverse=True) and len(set(rows)) == 100  # newest first, capped, no duplicate
    assert await page.evaluate(f"() => document.querySelector('#fleet tr[data-bot=\"{bot}\"]').kept === true")
    notices = await page.eval_on_selector_all("#toasts .toast", "els => els.length")
    assert 1 <= notices <= 4
    assert page.errors_seen == []  # type: ignore[attr-defined]


async def test_performance_covers_the_whole_recorded_history_then_counts_live_trades_once(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "history-perf"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    # Recorded before the page opens: more than the 50 trades the page is rendered with, over 18 days.
    trades = [
        _trade(bot, n, symbol="ETH/USDT" if n % 3 == 0 else "BTC/USDT", profit=None if n % 4 == 0 else "1.5")
        for n in range(60)
    ]
    for event in trades:
        await bus.publish(event)
    cookie = await asyncio.to_thread(dashboard.log_in)

    async def all_recorded() -> bool:
        return await _recorded(dashboard, bot, cookie) == len(trades)

    await eventually(all_recorded, timeout=20, interval=0.2, what="the recorder stored every trade")
    closed = [t for t in trades if t.realized_profit is not None]
    days = {t.market_time.date() for t in closed if t.market_time}
    page = await logged_in(browser, dashboard, bot, viewport=DESKTOP)
    perf = f"window.tradewire.bots.get('{bot}').performance"
    await page.wait_for_function(f"() => {perf} !== null")
    btc = [t for t in trades if t.symbol == "BTC/USDT"]
    btc_closed = [t for t in btc if t.realized_profit is not None]
    row = '#symbols tr[data-symbol="BTC/USDT"]'
    assert await page.text_content(f"{row} [data-field=trades]") == str(len(btc))
    assert await page.text_content(f"{row} [data-field=closed]") == str(len(btc_closed))
    assert await page.text_content(f"{row} [data-field=profit]") == f"+{Decimal('1.5') * len(btc_closed):.2f} USDT"
    assert await page.evaluate(f"() => {perf}.daily.size") == len(days)
    # The fleet, before the bot's first stats: its recorded trades and realized profit, not the 50 held.
    fleet = f'#fleet tr[data-bot="{bot}"]'
    assert await page.text_content(f"{fleet} [data-field=trades]") == str(len(trades))
    assert await page.text_content(f"{fleet} [data-field=profit]") == f"+{Decimal('1.5') * len(closed):.2f} USDT"
    total = await page.evaluate(f"() => {perf}.equity[{perf}.equity.length - 1].value")
    assert total == pytest.approx(1.5 * len(closed))

    ARTIFACTS.mkdir(exist_ok=True)
    await page.emulate_media(reduced_motion="reduce")
    await page.screenshot(path=ARTIFACTS / "performance.png", full_page=True)
    await page.set_viewport_size(PHONE)  # one column: the cards stack, the tables scroll inside them
    # Nothing wider than the phone: wide tables scroll inside their cards, the page does not scroll sideways.
    await page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth")
    await page.screenshot(path=ARTIFACTS / "performance-phone.png", full_page=True)
    await page.set_viewport_size(DESKTOP)
    # A live trade after the page opened is counted once (the recorder storing it changes nothing here).
    await bus.publish(_trade(bot, 60, profit="-0.5"))
    await page.wait_for_function(
        f"() => document.querySelector('{row} [data-field=closed]').textContent === '{len(btc_closed) + 1}'"
    )
    total = await page.evaluate(f"() => {perf}.equity[{perf}.equity.length - 1].value")
    assert total == pytest.approx(1.5 * len(closed) - 0.5)
    # A reconnect brings the figures again from the database (the live trade now recorded): same totals.
    await eventually(
        lambda: _recorded_is(dashboard, bot, cookie, len(trades) + 1),
        timeout=20,
        interval=0.2,
        what="the live trade recorded",
    )
    await page.evaluate("() => window.tradewire.socket.drop()")
    await page.wait_for_function(
        f"() => {perf}.through !== null && document.querySelector('#connection').dataset.state === 'live'"
    )
    await page.wait_for_function(f"() => {perf}.symbols.get('BTC/USDT').closed === {len(btc_closed) + 1}")
    total = await page.evaluate(f"() => {perf}.equity[{perf}.equity.length - 1].value")
    assert total == pytest.approx(1.5 * len(closed) - 0.5)
    assert page.errors_seen == []  # type: ignore[attr-defined]


async def _recorded_is(dashboard: DashboardProcess, bot: str, cookie: str, count: int) -> bool:
    return await _recorded(dashboard, bot, cookie) == count


async def test_prices_and_amounts_follow_the_market_tick_and_step(
    browser: Browser, dashboard: DashboardProcess, bus: RedisBus, logged_in: LoggedIn
) -> None:
    bot = "precision"
    await bus.publish(StatusChanged(bot_id=bot, status="running", reason="test", actor="trader"))
    market = MarketTraded(
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        price_tick=Decimal("0.1"),
        amount_step=Decimal("0.00001"),
        limits=MarketLimits(min_amount=Decimal("0.00001")),
    )
    await bus.publish(MarketsLoaded(bot_id=bot, markets=[market]))
    # Recorded before the page opens: its row is drawn from the page's recorded trades, before the
    # socket brings the market's precision, and is written again when it does.
    earlier = await bus.publish(_trade(bot, 0))
    cookie = await asyncio.to_thread(dashboard.log_in)
    await eventually(lambda: _recorded_is(dashboard, bot, cookie, 1), timeout=20, interval=0.2, what="recorded")
    page = await logged_in(browser, dashboard, bot, viewport=DESKTOP)
    old_row = f'#trades tr[data-event-id="{earlier.event.event_id}"] [data-field=price]'
    await page.wait_for_function(f"() => document.querySelector('{old_row}')?.textContent === '40,800.9'")
    sell = await bus.publish(_trade(bot, 1))
    cells = f'#trades tr[data-event-id="{sell.event.event_id}"]'
    await page.wait_for_selector(cells)
    assert await page.text_content(f"{cells} [data-field=price]") == "40,800.9"  # tick 0.1, not 2 decimals
    assert await page.text_content(f"{cells} [data-field=amount]") == "0.01235"  # step 0.00001
    assert await page.get_attribute(f"{cells} [data-field=why]", "class") == "why why-loss"  # a stoploss
