"""Candle files in the layouts Freqtrade and ccxt use, read into a CandleTable and written back.

- `.feather` (Freqtrade's default) and `.parquet`: columns date, open, high, low, close, volume; `date`
  a UTC timestamp (Freqtrade writes datetime64[ns, UTC]) or epoch milliseconds.
- `.json` / `.json.gz` (Freqtrade's json/jsongz): a list of ccxt rows `[ms, open, high, low, close, volume]`.
- `.csv`: a header line `date,...` or `timestamp,...` (or none) and ccxt rows; the date in epoch
  milliseconds or ISO 8601. The trader's `--source replay` reads what is written here.

Freqtrade names files `BTC_USDT-1m.feather` in one folder per exchange: `file_name()` does the same.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.feather as feather  # type: ignore[import-untyped]
import pyarrow.parquet as parquet  # type: ignore[import-untyped]

from tradewire_trader.backtest.candle_table import COLUMNS, BadCandleData, CandleTable

FORMATS = ("feather", "parquet", "json", "json.gz", "csv")
HEADER_NAMES = {"timestamp", "time", "date"}


def file_name(symbol: str, timeframe: str, fmt: str = "feather") -> str:
    """Freqtrade's name for a pair's candles: BTC/USDT 1m -> BTC_USDT-1m.feather."""
    return f"{symbol.replace('/', '_')}-{timeframe}.{fmt}"


def format_of(path: Path) -> str:
    name = path.name.lower()
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if name.endswith("." + fmt):
            return fmt
    raise ValueError(f"{path}: unknown candle file type (use one of: {', '.join('.' + f for f in FORMATS)})")


def read_candles(path: Path) -> CandleTable:
    """Every row of the file, unchecked for gaps (see CandleTable.check); a row that is not a candle is an error."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such candle file")
    fmt = format_of(path)
    if fmt in {"feather", "parquet"}:
        table = feather.read_table(path) if fmt == "feather" else parquet.read_table(path)
        return _from_arrow(table, str(path), first_row=1, row_label="row")
    if fmt == "csv":
        return _read_csv(path)
    opener = gzip.open if fmt == "json.gz" else open
    with opener(path, "rt") as handle:
        rows = json.load(handle)
    return _from_rows(rows, str(path), first_row=1, row_label="row")


def write_candles(table: CandleTable, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = format_of(path)
    if fmt in {"feather", "parquet"}:
        arrow = pa.table(
            {
                "date": pa.array(table.timestamp_ms, pa.timestamp("ms", tz="UTC")),
                **{name: pa.array(getattr(table, name)) for name in COLUMNS[1:]},
            }
        )
        if fmt == "feather":
            feather.write_feather(arrow, path)
        else:
            parquet.write_table(arrow, path)
    elif fmt == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_rows(table))
    else:
        opener = gzip.open if fmt == "json.gz" else open
        with opener(path, "wt") as handle:
            json.dump(_rows(table), handle, separators=(",", ":"))
    return path


def _rows(table: CandleTable) -> list[list[float | int]]:
    columns = [getattr(table, name).tolist() for name in COLUMNS[1:]]
    return [[ts, *values] for ts, *values in zip(table.timestamp_ms.tolist(), *columns, strict=True)]


def _read_csv(path: Path) -> CandleTable:
    with path.open() as handle:
        first = handle.readline().split(",")[0].strip().lower()
    has_header = first in HEADER_NAMES
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=list(COLUMNS), skip_rows=1 if has_header else 0),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.float64() for name in COLUMNS[1:]}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Arrow's message points at a block, not a line: read the file row by row to say exactly where.
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        start = 1 if has_header else 0
        return _from_rows(rows[start:], str(path), first_row=start + 1, row_label="line")
    return _from_arrow(table, str(path), first_row=2 if has_header else 1, row_label="line")


def _from_arrow(table: pa.Table, source: str, *, first_row: int, row_label: str) -> CandleTable:
    names = [name.lower() for name in table.column_names]
    table = table.rename_columns(names)
    if "date" not in names and "timestamp" in names:
        table = table.rename_columns(["date" if n == "timestamp" else n for n in names])
    missing = [name for name in COLUMNS if name not in table.column_names]
    if missing:
        raise BadCandleData(f"{source}: no column {', '.join(missing)} (expected {', '.join(COLUMNS)})")
    date = table.column("date")
    if pa.types.is_timestamp(date.type):
        millis = pc.cast(pc.cast(date, pa.timestamp("ms", tz="UTC")), pa.int64())
    elif pa.types.is_string(date.type) or pa.types.is_large_string(date.type):
        try:
            parsed = pc.cast(pc.strptime(date, format="%Y-%m-%dT%H:%M:%S", unit="ms", error_is_null=True), pa.int64())
        except pa.ArrowInvalid as error:
            raise BadCandleData(
                f"{source}: the date column is neither epoch milliseconds nor ISO 8601 ({error})"
            ) from None
        millis = parsed
    else:
        millis = pc.cast(date, pa.int64())
    if millis.null_count:
        index = int(np.argmax(np.asarray(pc.is_null(millis))))
        raise BadCandleData(f"{source}: {row_label} {first_row + index}: date {date[index]} is not a time")
    prices = {}
    for name in COLUMNS[1:]:
        column = table.column(name)
        if column.null_count:
            index = int(np.argmax(np.asarray(pc.is_null(column))))
            raise BadCandleData(f"{source}: {row_label} {first_row + index}: {name} is empty or not a number")
        try:
            prices[name] = np.asarray(pc.cast(column, pa.float64()), dtype=np.float64)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise BadCandleData(f"{source}: column {name} is not numeric ({error})") from None
    return CandleTable.from_columns(
        np.asarray(millis, dtype=np.int64), [prices[name] for name in COLUMNS[1:]], source, first_row, row_label
    )


def _from_rows(rows: Sequence[Sequence[object]], source: str, *, first_row: int, row_label: str) -> CandleTable:
    """Row by row: slow, used for JSON and to find the exact bad line in a CSV that Arrow refused."""
    stamps: list[int] = []
    values: list[list[float]] = []
    for offset, row in enumerate(rows):
        where = f"{source}: {row_label} {first_row + offset}"
        if not isinstance(row, list | tuple) or len(row) < 6:
            raise BadCandleData(f"{where}: expected 6 fields (date, open, high, low, close, volume), got {row!r}")
        try:
            stamps.append(_millis(row[0]))
        except ValueError:
            raise BadCandleData(f"{where}: date {row[0]!r} is neither epoch milliseconds nor ISO 8601") from None
        parsed = []
        for name, value in zip(COLUMNS[1:], row[1:6], strict=True):
            try:
                parsed.append(float(value))  # type: ignore[arg-type,unused-ignore]
            except (TypeError, ValueError):
                raise BadCandleData(f"{where}: {name} {value!r} is not a number") from None
        values.append(parsed)
    columns = np.array(values, dtype=np.float64).reshape(-1, 5).T
    return CandleTable.from_columns(np.array(stamps, dtype=np.int64), list(columns), source, first_row, row_label)


def _millis(value: object) -> int:
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)
