"""The stub's candle history, answered as Binance's `GET /api/v3/klines` does, for `download` and live polling.

Each (symbol, interval) has one deterministic history (the trader's synthetic generator, seeded by the
symbol), starting `history_days` before the stub started and growing with the clock, so pages fetched
one after another fit together. Binance's rules as documented for the endpoint: `limit` 1..1000 (default
500), `startTime`/`endTime` select by open time (inclusive), no times means the most recent candles;
rows are `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
"takerBuyBaseVolume", "takerBuyQuoteVolume", "0"]`, numbers as strings.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from tradewire_trader.candles import Candle
from tradewire_trader.synthetic import synthetic_series

INTERVAL_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
    "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
}  # fmt: skip
MAX_LIMIT = 1000


class KlinesRefused(ValueError):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code


def kline_row(c: Candle, step_ms: int) -> list[Any]:
    quote_volume = (c.volume * c.close).quantize(Decimal("0.00000001"))
    return [c.timestamp_ms, str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume),
            c.timestamp_ms + step_ms - 1, str(quote_volume), 10, "0", "0", "0"]  # fmt: skip


class KlineHistory:
    def __init__(self, history_days: float = 3.0) -> None:
        self.started_ms = int(time.time() * 1000)
        self.history_days = history_days
        self._series: dict[tuple[str, int], tuple[list[Candle], Iterator[Candle]]] = {}

    def candles(self, symbol: str, step_ms: int, price: Decimal) -> list[Candle]:
        """Every closed candle of the history up to now (the one opening now is still forming)."""
        key = (symbol, step_ms)
        if key not in self._series:
            first = (self.started_ms - int(self.history_days * 86_400_000)) // step_ms * step_ms
            seed = zlib.crc32(symbol.encode())
            self._series[key] = ([], synthetic_series(seed, price, step_ms // 1000, start_ms=first))
        known, series = self._series[key]
        forming = int(time.time() * 1000) // step_ms * step_ms
        while not known or known[-1].timestamp_ms + step_ms < forming:
            known.append(next(series))
        return known

    def answer(self, query: Mapping[str, str], price: Decimal) -> list[list[Any]]:
        symbol = query.get("symbol", "BTCUSDT")
        interval = query.get("interval", "1m")
        if interval not in INTERVAL_MS:
            raise KlinesRefused(-1120, "Invalid interval.")
        try:
            limit = int(query.get("limit", "500"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise KlinesRefused(-1130, "Data sent for parameter 'limit' is not valid.")
        step = INTERVAL_MS[interval]
        candles = self.candles(symbol, step, price)
        start, end = query.get("startTime"), query.get("endTime")
        if start is None and end is None:
            chosen = candles[-limit:]
        else:
            lo = int(start) if start is not None else 0
            hi = int(end) if end is not None else candles[-1].timestamp_ms
            if start is None:
                chosen = [c for c in candles if c.timestamp_ms <= hi][-limit:]
            else:
                chosen = [c for c in candles if lo <= c.timestamp_ms <= hi][:limit]
        return [kline_row(c, step) for c in chosen]
