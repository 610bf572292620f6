"""Debian's headless Chromium as the browser tests launch it (Playwright's own browser download cannot
run here). The flags keep it from reaching for Google's services, which this machine's closed network
refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is a dev dependency of the root, not of this package
    from playwright.async_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What the root tests' `logged_in` fixture gives: `page = await logged_in(browser, dashboard, bot_id, viewport=...)`.
LoggedIn = Callable[..., Awaitable["Page"]]


def chromium_found() -> bool:
    return Path(CHROMIUM).exists()
