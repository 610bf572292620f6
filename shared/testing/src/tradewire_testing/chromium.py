"""Debian's headless Chromium as the browser tests launch it (Playwright's own browser download cannot
run here). The flags keep it from reaching for Google's services, which this machine's closed network
refuses."""

from __future__ import annotations

from pathlib import Path

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


def chromium_found() -> bool:
    return Path(CHROMIUM).exists()
