"""Live candles are polled through ccxt from a local Binance stub; each closed candle comes once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from tradewire_testing import eventually
from tradewire_testing.binance_stub import BinanceStub, Fault
from tradewire_trader.live_market import LiveMarket
from tradewire_trader.settings import Settings


async def test_polling_yields_closed_candles_once_and_in_order(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    stub = BinanceStub()
    await stub.start()
    settings = settings_for(tmp_path, source="live", api_url=stub.url, poll_seconds=0.05, retry_delay_s=0.01)
    market = LiveMarket.from_settings(settings)  # paper mode: its own keyless client
    seen = []

    async def consume() -> None:
        async for candle in market.candles():
            seen.append(candle)

    stub.fail("GET /api/v3/klines", Fault.rate_limited(retry_after_s=0))  # the first poll: HTTP 429, retried
    polling = asyncio.create_task(consume())
    try:
        await eventually(lambda: stub.requests.count("GET /api/v3/klines") >= 4, what="four polls")
    finally:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await stub.stop()
    assert not stub.faults["GET /api/v3/klines"]  # the refused request was retried, not fatal
    now_ms = market._client.milliseconds()
    assert seen, "no candle came through"
    assert all(c.timestamp_ms + 60_000 <= now_ms for c in seen), "a still-forming candle was yielded"
    stamps = [c.timestamp_ms for c in seen]
    assert stamps == sorted(set(stamps))
