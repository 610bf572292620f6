from __future__ import annotations

import itertools
from decimal import Decimal as D
from pathlib import Path

import pytest

from tradewire_trader.__main__ import write_sample
from tradewire_trader.candles import Candle
from tradewire_trader.market_data import CsvReplay, Pacer, SyntheticMarket, read_ohlcv_csv, sample_csv, synthetic_series


def first(n: int, seed: int) -> list[Candle]:
    return list(itertools.islice(synthetic_series(seed, D(42000), 60), n))


def test_the_same_seed_gives_the_same_series_and_another_seed_another() -> None:
    assert first(500, 7) == first(500, 7)
    assert first(500, 7) != first(500, 8)


def test_synthetic_candles_are_consistent_and_spaced_by_the_candle_width() -> None:
    candles = first(2000, 3)
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in candles)
    assert {b.timestamp_ms - a.timestamp_ms for a, b in itertools.pairwise(candles)} == {60_000}
    assert all(a.close == b.open for a, b in itertools.pairwise(candles))


def test_synthetic_volatility_changes_between_regimes() -> None:
    ranges = [(c.high - c.low) / c.close for c in first(5000, 7)]
    windows = [sum(ranges[i : i + 250]) / 250 for i in range(0, 5000, 250)]
    assert max(windows) > 2 * min(windows)


async def test_synthetic_market_resumes_at_a_given_index() -> None:
    market = SyntheticMarket(7, D(42000), 60, Pacer(0, 60))
    resumed = [c async for c in _take(market.candles(100), 5)]
    assert resumed == first(105, 7)[100:]


async def test_replay_reads_the_committed_sample_from_a_given_index() -> None:
    replay = CsvReplay(sample_csv(), Pacer(0, 60))
    all_rows = list(read_ohlcv_csv(sample_csv()))
    assert len(all_rows) >= 1000
    assert [c async for c in replay.candles(len(all_rows) - 3)] == all_rows[-3:]


def test_the_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_sample(tmp_path / "sample.csv", 2000, 7)
    assert (tmp_path / "sample.csv").read_text() == sample_csv().read_text()


def test_a_malformed_csv_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,open,high,low,close,volume\n1,2,3,1,2,5\n2,abc,3,1,2,5\n")
    with pytest.raises(ValueError, match=r"bad.csv:3: not an OHLCV row"):
        list(read_ohlcv_csv(path))


def test_pacer_interval_is_candle_width_over_speed() -> None:
    assert Pacer(120, 60).interval == 0.5
    assert Pacer(0, 60).interval == 0


async def _take(iterator, n):  # type: ignore[no-untyped-def]
    async for item in iterator:
        if n == 0:
            return
        n -= 1
        yield item
