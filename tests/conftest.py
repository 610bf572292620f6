"""Fixtures shared by the cross-service scenarios. A module's Redis and real dashboard process
(`redis_for_module`, `dashboard`) come from tradewire_testing's pytest plugin."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tradewire_bus import RedisBus
from tradewire_testing import RedisServer, eventually
from tradewire_testing.chromium import CHROMIUM, CHROMIUM_ARGS, LoggedIn, chromium_found
from tradewire_testing.dashboard_process import DashboardProcess
from tradewire_testing.processes import stop_gracefully


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium, driven by Playwright; missing, it skips locally and fails in CI."""
    if not chromium_found():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@contextlib.contextmanager
def real_trader(redis_url: str, bot_id: str, state_dir: Path, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real trader process on fast synthetic data (a trade within seconds), publishing on `redis_url`."""
    log = (state_dir / f"trader-{bot_id}.log").open("wb")
    arguments = ["--bot-id", bot_id, "--speed", "1200", "--fast", "2", "--slow", "3", "--price-every", "1"]
    arguments += ["--heartbeat-s", "1", "--state-file", str(state_dir / f"{bot_id}.db"), *extra]
    process = subprocess.Popen(
        [sys.executable, "-m", "tradewire_trader", "run", *arguments],
        env={**os.environ, "REDIS_URL": redis_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        stop_gracefully(process, timeout=10)
        log.close()


@pytest.fixture
def start_trader(tmp_path: Path) -> Callable[..., contextlib.AbstractContextManager[subprocess.Popen[bytes]]]:
    """`with start_trader(redis_url, bot_id): ...` runs a real trader for the block."""
    return lambda redis_url, bot_id, *extra: real_trader(redis_url, bot_id, tmp_path, *extra)


async def log_in(browser: Browser, dashboard: DashboardProcess, bot_id: str, **context: Any) -> Page:
    """A page logged in to the control room through the real form, showing `bot_id`, its socket live."""
    page = await (await browser.new_context(**context)).new_page()
    page.console_messages_seen = []  # type: ignore[attr-defined]
    page.on("console", lambda message: page.console_messages_seen.append(message.text))  # type: ignore[attr-defined]
    page.errors_seen = []  # type: ignore[attr-defined]  # uncaught exceptions in the page's scripts
    page.on("pageerror", lambda error: page.errors_seen.append(str(error)))  # type: ignore[attr-defined]
    await page.add_init_script(f"localStorage.setItem('tradewire.bot', {bot_id!r});")
    await page.goto(f"{dashboard.url}/")
    await page.fill("#id_username", dashboard.username)
    await page.fill("#id_password", dashboard.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{dashboard.url}/")
    try:
        await page.wait_for_selector("#connection[data-state=live]")
    except PlaywrightTimeoutError:
        raise AssertionError(f"the page never went live; its errors: {page.errors_seen}") from None  # type: ignore[attr-defined]
    return page


@pytest.fixture
def running_trader(
    start_trader: Callable[..., contextlib.AbstractContextManager[subprocess.Popen[bytes]]],
    redis_for_module: RedisServer,
) -> Callable[..., contextlib.AbstractAsyncContextManager[subprocess.Popen[bytes]]]:
    """`async with running_trader(bot_id, *extra):` a real trader on the module's Redis, entered once the
    bus holds its status `running` (the page then opens on a live bot)."""

    @contextlib.asynccontextmanager
    async def run(bot_id: str, *extra: str) -> AsyncIterator[subprocess.Popen[bytes]]:
        with start_trader(redis_for_module.url, bot_id, *extra) as process:
            async with RedisBus.connect(redis_for_module.url) as bus:
                await eventually(lambda: status_is(bus, bot_id, "running"), timeout=20, what=f"trader {bot_id} running")
            yield process

    return run


async def status_is(bus: RedisBus, bot_id: str, status: str) -> bool:
    snapshot = await bus.snapshot(bot_id)
    return snapshot.status is not None and snapshot.status.status == status


@pytest.fixture
async def bus(redis_for_module: RedisServer) -> AsyncIterator[RedisBus]:
    """A bus client on the module's Redis, the one its `dashboard` reads."""
    async with RedisBus.connect(redis_for_module.url) as connected:
        yield connected


@pytest.fixture
def logged_in() -> LoggedIn:
    """`page = await logged_in(browser, dashboard, bot_id, viewport=...)`."""
    return log_in
