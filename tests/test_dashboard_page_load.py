"""The control room stays fast: five real traders at the demo's pace (the trader's defaults: 600 market
seconds per second, 1-minute candles) for 60 s, one page at 1440x900 following them. The chart keeps
its size, the page's JS heap (after a forced collection) stops growing once the per-bot caps are
reached, and frames stay smooth (requestAnimationFrame intervals and long tasks, from the Performance
API). The figures are printed, to be reported as ranges over runs: the machine is shared.

Run alone with `uv run pytest tests/test_dashboard_page_load.py -s`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tradewire_bus import RedisBus
from tradewire_testing import RedisServer, eventually
from tradewire_testing.chromium import LoggedIn
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis]

BOTS = [f"load-{n}" for n in range(5)]
WINDOW_S = 60


async def _heap_after_collection(page: Page) -> float:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("HeapProfiler.collectGarbage")
    usage = await cdp.send("Runtime.getHeapUsage")
    await cdp.detach()
    return float(usage["usedSize"]) / 1e6


async def _chart_height(page: Page) -> tuple[float, float]:
    size: list[float] = await page.evaluate(
        "() => [document.getElementById('chart').getBoundingClientRect().height, document.documentElement.scrollHeight]"
    )
    return size[0], size[1]


@pytest.mark.timeout(500)
async def test_five_traders_for_a_minute_keep_the_page_steady(
    browser: Browser,
    dashboard: DashboardProcess,
    redis_for_module: RedisServer,
    start_trader: Callable[..., Any],
    logged_in: LoggedIn,
) -> None:
    demo_pace = ["--speed", "600", "--price-every", "10", "--heartbeat-s", "5"]  # the trader's own defaults
    async with RedisBus.connect(redis_for_module.url) as bus:
        with contextlib.ExitStack() as traders:
            for bot in BOTS:
                traders.enter_context(start_trader(redis_for_module.url, bot, *demo_pace))

            async def all_running() -> bool:
                snapshots = [await bus.snapshot(bot) for bot in BOTS]
                return all(s.status is not None and s.status.status == "running" for s in snapshots)

            # Five start at once on a shared machine: each imports for seconds of CPU.
            await eventually(all_running, timeout=240, interval=0.5, what="five traders running")
            page = await logged_in(browser, dashboard, BOTS[0], viewport={"width": 1440, "height": 900})
            await page.evaluate("""() => {
                window.load = { frames: [], longTasks: 0, longTaskMs: 0, longestTask: 0, messages: 0,
                                draws: structuredClone(window.tradewire.loop.counts) };
                let last = performance.now();
                const tick = (now) => { window.load.frames.push(now - last); last = now; requestAnimationFrame(tick); };
                requestAnimationFrame(tick);
                new PerformanceObserver((list) => {
                    for (const entry of list.getEntries()) {
                        window.load.longTasks += 1;
                        window.load.longTaskMs += entry.duration;
                        window.load.longestTask = Math.max(window.load.longestTask, entry.duration);
                    }
                }).observe({ type: "longtask" });
                const original = window.tradewire.socket.onMessage;
                window.tradewire.socket.onMessage = (m) => { window.load.messages += 1; original(m); };
            }""")
            sizes = [await _chart_height(page)]
            heaps = [await _heap_after_collection(page)]
            # An observation window, not a synchronisation: what the page does under a minute of pushes.
            for _ in range(3):
                await page.wait_for_timeout(WINDOW_S * 1000 / 3)
                sizes.append(await _chart_height(page))
                heaps.append(await _heap_after_collection(page))
            load: dict[str, Any] = await page.evaluate(
                "() => ({ ...window.load, frames: window.load.frames.slice(1), drawn: window.tradewire.loop.counts })"
            )
            candles = await page.evaluate("() => [...window.tradewire.bots.values()].map(s => s.chart.candles.length)")
            errors = list(page.errors_seen)  # type: ignore[attr-defined]

    frames = sorted(load["frames"])
    # Panels drawn per frame with a draw: at most one each (the render loop), whatever the message rate.
    draw_frames = load["drawn"]["frames"] - load["draws"]["frames"]
    drawn = {name: count - load["draws"]["renders"][name] for name, count in load["drawn"]["renders"].items()}
    p50, p95, p99 = (frames[int(len(frames) * q)] for q in (0.5, 0.95, 0.99))
    print(
        f"\n5 traders, {WINDOW_S} s: {load['messages']} messages; candles per bot {candles}; "
        f"heap MB {[round(h, 1) for h in heaps]}; frames {len(frames)}: p50 {p50:.1f} p95 {p95:.1f} "
        f"p99 {p99:.1f} max {frames[-1]:.1f} ms; long tasks {load['longTasks']} ({load['longTaskMs']:.0f} ms, "
        f"longest {load['longestTask']:.0f} ms); {draw_frames} frames drew {drawn}"
    )
    assert errors == []
    assert load["messages"] > 5 * WINDOW_S  # the traders did publish at their pace
    assert len({chart for chart, _ in sizes}) == 1, f"the chart changed size: {sizes}"
    # The tables fill up to their own limits in the first seconds (trades, positions); then the page stays.
    assert len({page for _, page in sizes[1:]}) == 1, f"the page kept changing size: {sizes}"
    # Bounded: each bot keeps at most 1,100 candles and 200 trades. Growth in the last 40 s beyond the
    # data those caps allow (a few hundred candles per bot, well under 10 MB) would be a leak.
    assert heaps[-1] - heaps[1] < 10, f"the heap kept growing: {heaps} MB"
    assert p50 < 40, f"frames are not smooth: median {p50:.1f} ms"
    # Drawn in frames, not per message: no panel more often than frames were drawn, and fewer draws of
    # the busiest panels than messages (several messages land in one frame).
    assert all(count <= draw_frames for count in drawn.values()), (draw_frames, drawn)
    assert drawn["fleet"] < load["messages"], (drawn, load["messages"])
    # No task blocks the page for long. 136 ms was the longest seen under a load average of 9-12 on the
    # shared 2-core machine; the bound is loose on purpose (a timing figure, not a benchmark).
    assert load["longestTask"] < 400, f"a task blocked the page for {load['longestTask']:.0f} ms"
