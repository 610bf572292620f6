"""Synthetic one-minute candles that read like a real crypto market (BTC-like), seeded and deterministic.

The model, per candle (docs/trader.md, "Market data", states the figures):

- Log returns are uncorrelated from one candle to the next (no trend that a moving average could ride
  for free): `r = drift + sigma * z`, with `z` Student-t (5 degrees of freedom, scaled to unit
  variance) for the fat tails real minute returns have.
- `sigma` follows a GARCH(1,1) recursion (alpha 0.06, beta 0.93), so calm and busy stretches cluster
  the way they do on an exchange, times a regime level (calm, normal, stormy) that changes about every
  two days. The long-run one-minute sigma is ~0.085 %, ~3 % a day: what BTC shows in most years.
- The drift switches with the regime between up, flat and down (0.5 % a day either way), and a weak
  pull towards the start price (a month's time scale) keeps a long series in a plausible range.
- A candle opens at the previous close; its high and low reach beyond open and close by a
  half-normal excursion of the candle's own sigma; volume grows with sigma and with the size of the
  move (a lognormal spread around ~10 BTC a minute in the normal regime).

`random.Random(seed)` drives everything: the same seed gives the same series on every platform.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from decimal import Decimal

from tradewire_trader.candles import Candle

CENT = Decimal("0.01")
BASE_SIGMA = 0.00068  # long-run one-minute sigma of the normal regime (before the regime level)
REGIMES = (0.6, 1.0, 1.8)  # calm, normal, stormy: multipliers on sigma
SWITCH_PROBABILITY = 1 / 2880  # per candle: a regime lasts about two days
DRIFTS = (-0.005 / 1440, 0.0, 0.005 / 1440)  # down, flat, up: per-candle drift of the log price
ALPHA, BETA = 0.05, 0.93  # GARCH(1,1): how much the last shock and the last variance carry over
TAIL_DF = 6  # Student-t degrees of freedom of the shocks (fat tails)
PULL = 1 / (30 * 1440)  # per candle, towards the start price: a month's time scale
WICK = 0.8  # high/low excursion beyond open/close, in units of the candle's sigma
VOLUME = 10.0  # base coins a minute in the normal regime at an average move


def shock(rng: random.Random) -> float:
    """A Student-t draw with unit variance, clipped at 12 (a 12-sigma minute is already a crash)."""
    t = rng.gauss(0.0, 1.0) / math.sqrt(rng.gammavariate(TAIL_DF / 2, 2.0) / TAIL_DF)
    return max(-12.0, min(12.0, t * math.sqrt((TAIL_DF - 2) / TAIL_DF)))


def synthetic_floats(
    seed: int, start_price: float, minutes: float = 1.0
) -> Iterator[tuple[float, float, float, float, float]]:
    """Endless (open, high, low, close, volume) as floats, before rounding: the model itself. Candles of
    `minutes` minutes scale sigma by its square root and drift, pull, regime switches and volume by it."""
    rng = random.Random(seed)
    price = anchor = start_price
    regime = 1
    drift = 0.0
    base = BASE_SIGMA * math.sqrt(minutes)
    switch, pull = min(1.0, SWITCH_PROBABILITY * minutes), min(1.0, PULL * minutes)
    omega = (1 - ALPHA - BETA) * base**2
    variance = base**2
    last = 0.0  # the last shock, in units of the base level (GARCH's epsilon)
    while True:
        if rng.random() < switch:
            regime = rng.randrange(len(REGIMES))
            drift = DRIFTS[rng.randrange(len(DRIFTS))] * minutes
        variance = omega + ALPHA * last * last + BETA * variance
        sigma = math.sqrt(variance)
        z = shock(rng)
        last = sigma * z
        scale = REGIMES[regime] * sigma
        opening = price
        price = opening * math.exp(drift - pull * math.log(opening / anchor) + scale * z)
        high = max(opening, price) * math.exp(abs(rng.gauss(0.0, WICK * scale)))
        low = min(opening, price) * math.exp(-abs(rng.gauss(0.0, WICK * scale)))
        volume = VOLUME * minutes * (scale / base) * (0.5 + abs(z)) * math.exp(rng.gauss(0.0, 0.5))
        yield opening, high, low, price, volume


def synthetic_series(
    seed: int,
    start_price: Decimal,
    candle_seconds: int,
    start_ms: int = 1_700_000_000_000,
) -> Iterator[Candle]:
    """Endless candles of the model above, prices to the cent; the same seed, the same series."""
    ts = start_ms
    step = candle_seconds * 1000
    for opening, high, low, close, volume in synthetic_floats(seed, float(start_price), candle_seconds / 60):
        yield Candle(
            ts,
            Decimal(repr(round(opening, 2))).quantize(CENT),
            Decimal(repr(round(high, 2))).quantize(CENT),
            Decimal(repr(round(low, 2))).quantize(CENT),
            Decimal(repr(round(close, 2))).quantize(CENT),
            Decimal(repr(round(volume, 4))),
        )
        ts += step
