"""Fixtures for trader tests: settings on a temporary state file, and running a trader to the end."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tradewire_trader.market_data import MarketData
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.trader import Trader

# Test modules are imported with --import-mode=importlib, which puts nothing on sys.path: this folder goes
# there so the live tests can share `live_harness` (the trader wired to the Binance stub).
sys.path.insert(0, str(Path(__file__).parent))


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "state_file": tmp_path / "state.sqlite3",
        "speed": 0,
        "redis_url": "redis://127.0.0.1:1/0",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _run_to_end(trader: Trader, market: MarketData) -> None:
    drainer = asyncio.create_task(trader.outbox.run())
    try:
        await trader.run(market)
        assert await trader.outbox.flush(10), "outbox did not drain"
    finally:
        drainer.cancel()


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def run_to_end() -> Callable[[Trader, MarketData], Awaitable[None]]:
    """Trade every candle the market yields, then wait until the outbox published everything."""
    return _run_to_end


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore(tmp_path / "state.sqlite3")
    yield opened
    opened.close()
