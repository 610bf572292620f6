from __future__ import annotations

import itertools
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from tradewire_trader.__main__ import write_sample
from tradewire_trader.candles import Candle
from tradewire_trader.market_data import CsvReplay, Pacer, SyntheticMarket, read_ohlcv_csv, sample_csv
from tradewire_trader.synthetic import synthetic_series


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


DAY = 1440  # one-minute candles


def log_returns(closes: list[D]) -> np.ndarray:
    return np.diff(np.log(np.array([float(c) for c in closes])))


def lag_one_autocorrelation(values: np.ndarray) -> float:
    return float(np.corrcoef(values[:-1], values[1:])[0, 1])


@pytest.mark.parametrize("seed", [11, 7])  # the demo's default seed and the sample's
def test_synthetic_returns_are_uncorrelated_with_btc_like_daily_volatility_fat_tails_and_clustering(seed: int) -> None:
    candles = first(100 * DAY, seed)
    returns = log_returns([c.close for c in candles])
    # no trend to ride for free: a moving average has nothing to exploit
    assert abs(lag_one_autocorrelation(returns)) < 0.05
    daily = np.diff(np.log([float(c.close) for c in candles[::DAY]]))
    assert 0.02 < float(daily.std()) < 0.05, "BTC moves a few percent a day"
    kurtosis = float(((returns - returns.mean()) ** 4).mean() / returns.var() ** 2)
    assert kurtosis > 4, "fat tails: more large minutes than a normal distribution gives (3)"
    assert lag_one_autocorrelation(np.abs(returns)) > 0.1, "volatility clusters: a big move follows a big move"
    volumes = np.array([float(c.volume) for c in candles])
    assert volumes.min() > 0 and 2 < float(np.median(volumes)) < 50  # BTC/USDT: some BTC a minute
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in candles)


def test_the_committed_sample_reads_like_a_market_not_a_trend() -> None:
    candles = list(read_ohlcv_csv(sample_csv()))
    returns = log_returns([c.close for c in candles])
    assert abs(lag_one_autocorrelation(returns)) < 0.05
    assert 0.01 < float(returns.std()) * DAY**0.5 < 0.06  # a day's volatility at this minute's pace
    assert max(c.high for c in candles) / min(c.low for c in candles) < D("1.1")  # no 50 % swing in a day


async def test_synthetic_market_resumes_at_a_given_index() -> None:
    market = SyntheticMarket(synthetic_series(7, D(42000), 60), Pacer(0, 60))
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


def test_rows_off_the_fast_path_read_as_the_csv_module_reads_them(tmp_path: Path) -> None:
    """Quotes, blank lines, CRLF endings, a repeated header, an extra column and a float timestamp: the
    same candles as the plain rows; a non-finite price is refused with its line."""
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b"timestamp,open,high,low,close,volume\r\n1,2,3,1,2,5\r\n\r\n"
        b'"2","2.5","3","1","2","5"\ntime,open,high,low,close,volume\n3,2,3,1,2,5,extra\n4.0,2,3,1,2,5\n5,2,3,1,2,5'
    )
    candles = list(read_ohlcv_csv(path))
    assert [c.timestamp_ms for c in candles] == [1, 2, 3, 4, 5]
    assert candles[1] == Candle(2, D("2.5"), D(3), D(1), D(2), D(5))
    assert candles[0] == Candle(1, D(2), D(3), D(1), D(2), D(5))
    assert candles[4] == Candle(5, D(2), D(3), D(1), D(2), D(5))
    path.write_text("1,2,3,1,2,5\n2,2,inf,1,2,5\n")
    with pytest.raises(ValueError, match=r"odd.csv:2: not an OHLCV row .*not finite"):
        list(read_ohlcv_csv(path))
