"""Market data for a bot trading several symbols: one source per symbol, merged round-robin.

Each round yields one candle of every symbol, in the bot's symbol order, each tagged with its symbol;
the candles of a round must open at the same time (a replay whose files do not line up is refused,
naming both candles). Candle number i of the merged stream is candle i // n of symbol i % n, so a
restarted bot finds every symbol's place from the one counter it saves.

Synthetic candles per symbol come from the same generator with a seed of their own (the bot's seed for
the first symbol, derived from the symbol's name for the others) and a plausible start price, scaled to
the market's tick: distinct, and the same every run.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from tradewire_trader.candles import Candle
from tradewire_trader.lanes import candles_before
from tradewire_trader.market_data import MarketData
from tradewire_trader.synthetic import synthetic_series

# Start prices of the synthetic series per base coin (rough late-2023 levels); others start at 100.
START_PRICES = {
    "BTC": Decimal("42000"), "ETH": Decimal("2200"), "SOL": Decimal("60"), "BNB": Decimal("230"),
    "LTC": Decimal("70"), "ADA": Decimal("0.35"), "XRP": Decimal("0.6"), "DOGE": Decimal("0.08"),
    "TRX": Decimal("0.1"),
}  # fmt: skip
GENERATED_AT = Decimal("10000")  # low prices are generated at this level and scaled down (cents keep detail)


def symbol_seed(seed: int, symbol: str) -> int:
    """A seed of the symbol's own, derived from the bot's: the same every run, different per symbol."""
    return seed + zlib.crc32(symbol.encode())


def symbol_series(seed: int, start_price: Decimal, tick: Decimal, candle_seconds: int) -> Iterator[Candle]:
    """The synthetic generator at a symbol's price level, on its market's tick: low prices are generated
    at GENERATED_AT and scaled down (with the volume scaled up, so an order's share of it stays alike)."""
    scale = max(Decimal(1), (GENERATED_AT / start_price).quantize(Decimal(1)))
    series = synthetic_series(seed, start_price * scale, candle_seconds)
    if scale == 1:
        yield from series
        return
    for candle in series:
        # The same rounding for all four prices keeps their order: low <= open, close <= high.
        o, h, low, c = (
            (p / scale).quantize(tick, rounding=ROUND_HALF_EVEN)
            for p in (candle.open, candle.high, candle.low, candle.close)
        )
        yield Candle(candle.timestamp_ms, o, h, low, c, (candle.volume * scale).quantize(Decimal("0.0001")))


def symbol_candles(
    seed: int, symbol: str, position: int, first_price: Decimal, candle_seconds: int
) -> Iterator[Candle]:
    """Symbol number `position` of a bot: the first keeps the bot's seed and start price (a one-symbol
    bot's series), the others get their own seed and a plausible start price."""
    from tradewire_trader.markets import MarketRules

    base = symbol.split("/")[0]
    own_seed = seed if position == 0 else symbol_seed(seed, symbol)
    start = first_price if position == 0 else START_PRICES.get(base, Decimal(100))
    return symbol_series(own_seed, start, MarketRules.from_fixture(symbol).price_tick, candle_seconds)


class MultiMarket:
    def __init__(self, sources: Mapping[str, MarketData]) -> None:
        self._sources = sources

    def history(self) -> pd.DataFrame | None:
        return None  # per symbol: see histories

    def histories(self) -> dict[str, pd.DataFrame | None]:
        return {symbol: source.history() for symbol, source in self._sources.items()}

    async def candles(self, start: int = 0) -> AsyncIterator[Candle]:
        symbols = list(self._sources)
        n = len(symbols)
        streams = [self._sources[s].candles(candles_before(start, k, n)) for k, s in enumerate(symbols)]
        position, opened = start % n, None
        while True:
            try:
                candle = await anext(streams[position])
            except StopAsyncIteration:
                return  # one symbol's data ended: the round cannot be completed
            symbol = symbols[position]
            if position == 0 or opened is None:
                opened = candle.timestamp_ms
            elif candle.timestamp_ms != opened:
                raise ValueError(
                    f"{symbol}'s candle at {candle.timestamp_ms} does not line up with {symbols[0]}'s at {opened}: "
                    "several symbols need candles at the same times"
                )
            yield Candle(candle.timestamp_ms, candle.open, candle.high, candle.low, candle.close, candle.volume, symbol)
            position = (position + 1) % n
