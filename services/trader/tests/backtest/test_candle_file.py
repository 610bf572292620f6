"""Candle files in Freqtrade's and ccxt's layouts: every format round-trips; a bad row or a gap is named."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from tradewire_trader.backtest.candle_file import FORMATS, file_name, read_candles, write_candles
from tradewire_trader.backtest.candle_table import BadCandleData, CandleTable
from tradewire_trader.synthetic import synthetic_series

MINUTE = 60_000


def sample(n: int = 300) -> CandleTable:
    return CandleTable.from_candles(itertools.islice(synthetic_series(3, Decimal("42000"), 60), n))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_every_value(tmp_path: Path, fmt: str) -> None:
    table = sample()
    back = read_candles(write_candles(table, tmp_path / file_name("BTC/USDT", "1m", fmt)))
    for name in ("timestamp_ms", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(back, name), getattr(table, name)), name
    back.check(MINUTE)


def test_file_names_follow_freqtrade() -> None:
    assert file_name("BTC/USDT", "5m") == "BTC_USDT-5m.feather"
    assert file_name("ETH/BTC", "1h", "json.gz") == "ETH_BTC-1h.json.gz"


def test_reads_a_feather_file_as_freqtrade_writes_it(tmp_path: Path) -> None:
    # Freqtrade: a pandas DataFrame with `date` as datetime64[ns, UTC], saved with to_feather.
    table = sample(10)
    arrow = pa.table(
        {
            "date": pa.array(table.timestamp_ms * 1_000_000, pa.timestamp("ns", tz="UTC")),
            **{name: pa.array(getattr(table, name)) for name in ("open", "high", "low", "close", "volume")},
        }
    )
    feather.write_feather(arrow, tmp_path / "BTC_USDT-1m.feather")
    back = read_candles(tmp_path / "BTC_USDT-1m.feather")
    assert back.timestamp_ms.tolist() == table.timestamp_ms.tolist()
    assert back.close.tolist() == table.close.tolist()


def test_reads_csv_with_iso_dates_and_the_traders_own_csv(tmp_path: Path) -> None:
    iso = tmp_path / "iso.csv"
    iso.write_text(
        "date,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,3\n2024-01-01T00:01:00Z,1.5,2,1,1,4\n"
    )
    table = read_candles(iso)
    assert table.timestamp_ms.tolist() == [1_704_067_200_000, 1_704_067_260_000]
    from tradewire_trader.market_data import sample_csv

    bundled = read_candles(sample_csv())  # timestamp,open,... as `tradewire-trader sample` writes it
    assert len(bundled) == 2000
    bundled.check(MINUTE)


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("date,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path


def test_a_value_that_is_not_a_number_names_the_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "0,1,2,0.5,1,3", "60000,1,2,0.5,abc,3")
    with pytest.raises(BadCandleData, match=r"data.csv: line 3: close 'abc' is not a number"):
        read_candles(path)


def test_a_short_row_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "0,1,2,0.5,1,3", "60000,1,2,0.5")
    with pytest.raises(BadCandleData, match=r"line 3: expected 6 fields"):
        read_candles(path)


def test_a_gap_names_the_line_and_the_missing_candles(tmp_path: Path) -> None:
    path = write(tmp_path, "0,1,2,0.5,1,3", "60000,1,2,0.5,1,3", "240000,1,2,0.5,1,3")
    with pytest.raises(BadCandleData, match=r"line 4: gap: 2 candle\(s\) missing between 1970-01-01 00:01 UTC"):
        read_candles(path).check(MINUTE)


def test_time_going_backwards_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "60000,1,2,0.5,1,3", "0,1,2,0.5,1,3")
    with pytest.raises(BadCandleData, match=r"line 3: time 1970-01-01 00:00 UTC is not after the row before"):
        read_candles(path).check(MINUTE)


@pytest.mark.parametrize(
    ("row", "what"),
    [
        ("60000,1,2,1.5,1,3", "low is above open or close"),
        ("60000,1,0.9,0.5,1,3", "high is below open or close"),
        ("60000,1,2,0.5,1,-3", "volume is negative"),
        ("60000,1,2,0.5,nan,3", "close is empty or not a number"),
    ],
)
def test_an_impossible_candle_names_its_line(tmp_path: Path, row: str, what: str) -> None:
    path = write(tmp_path, "0,1,2,0.5,1,3", row)
    with pytest.raises(BadCandleData, match=rf"line 3: {what}"):
        read_candles(path).check(MINUTE)


def test_a_parquet_row_is_counted_from_one_and_a_missing_column_is_named(tmp_path: Path) -> None:
    table = sample(5)
    broken = CandleTable(table.timestamp_ms, table.open, table.high, table.high + 1, table.close, table.volume)
    path = write_candles(broken, tmp_path / "x.parquet")
    with pytest.raises(BadCandleData, match=r"x.parquet: row 1: low is above open or close"):
        read_candles(path).check(MINUTE)
    feather.write_feather(pa.table({"date": [0], "open": [1.0]}), tmp_path / "y.feather")
    with pytest.raises(BadCandleData, match=r"no column high, low, close, volume"):
        read_candles(tmp_path / "y.feather")


def test_a_date_range_keeps_its_row_numbers(tmp_path: Path) -> None:
    table = sample(100)
    cut = table.between(int(table.timestamp_ms[10]), int(table.timestamp_ms[20]))
    assert len(cut) == 10 and cut.first_row == 11
