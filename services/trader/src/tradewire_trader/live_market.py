"""Live market data: poll closed candles through ccxt, as they close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

from tradewire_trader.candles import Candle
from tradewire_trader.exchange import Exchange
from tradewire_trader.live_client import new_client, with_retries
from tradewire_trader.live_exchange import LiveExchange
from tradewire_trader.settings import Settings

TIMEFRAMES = {60: "1m", 300: "5m", 900: "15m", 3600: "1h", 14_400: "4h", 86_400: "1d"}


class LiveMarket:
    def __init__(
        self,
        client: ccxt_async.Exchange,
        symbol: str,
        candle_seconds: int,
        poll_seconds: float,
        owns_client: bool,
        attempts: int = 5,
        first_delay: float = 0.2,
    ) -> None:
        if candle_seconds not in TIMEFRAMES:
            raise ValueError(f"live candles must be one of {sorted(TIMEFRAMES)} seconds wide, not {candle_seconds}")
        self._client = client
        self._symbol = symbol
        self._timeframe = TIMEFRAMES[candle_seconds]
        self._width_ms = candle_seconds * 1000
        self._poll_seconds = poll_seconds
        self._owns_client = owns_client
        self._attempts, self._first_delay = attempts, first_delay

    @classmethod
    def from_settings(cls, settings: Settings, exchange: Exchange | None = None) -> LiveMarket:
        owned = not isinstance(exchange, LiveExchange)
        # paper trading on live prices needs no keys, so it gets a client of its own
        client = new_client(settings, private=False) if owned else exchange.client  # type: ignore[union-attr]
        return cls(
            client,
            settings.symbol,
            settings.candle_seconds,
            settings.poll_seconds,
            owned,
            settings.retry_attempts,
            settings.retry_delay_s,
        )

    def history(self) -> None:
        return None  # live candles are not known before they close

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        """Each candle once, after it closed; `start` does not apply: the live market resumes at now."""
        last_seen = 0
        try:
            while True:
                rows = await with_retries(
                    f"polling {self._symbol} candles",
                    lambda: self._client.fetch_ohlcv(self._symbol, self._timeframe, limit=3),
                    self._attempts,
                    self._first_delay,
                    self._client,
                )
                now_ms = self._client.milliseconds()
                for row in rows:
                    candle = Candle.from_ohlcv(row)
                    closed = candle.timestamp_ms + self._width_ms <= now_ms
                    if closed and candle.timestamp_ms > last_seen:
                        last_seen = candle.timestamp_ms
                        yield candle
                await asyncio.sleep(self._poll_seconds)
        finally:
            if self._owns_client:
                await self._client.close()
