"""`tradewire-trader download`: candles from an exchange through ccxt's `fetch_ohlcv`, page by page, into
`<data dir>/<exchange>/BTC_USDT-1m.feather` (Freqtrade's layout). An existing file is extended, not
replaced. Needs a network (or `--api-url` pointing at a local stub, as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ccxt  # type: ignore[import-untyped]
import numpy as np

from tradewire_trader.backtest.candle_file import FORMATS, file_name, read_candles, write_candles
from tradewire_trader.backtest.candle_source import parse_time
from tradewire_trader.backtest.candle_table import CandleTable, timeframe_ms
from tradewire_trader.live_client import point_at, with_retries

if TYPE_CHECKING:
    from tradewire_trader.backtest.backtest_settings import BacktestSettings

PAGE = 1000  # candles per request: Binance's maximum for klines


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exchange", default="binance", help="ccxt exchange id (default binance)")
    parser.add_argument(
        "--symbol", default="BTC/USDT", help="market, or several comma-separated, one file each (default BTC/USDT)"
    )
    parser.add_argument("--timeframe", default="1m", help="candle width, ccxt notation (default 1m)")
    parser.add_argument("--start", help="first candle, ISO date/time UTC (default: 1 day ago, or the end of the file)")
    parser.add_argument("--end", help="end (exclusive), ISO date/time UTC (default: now)")
    parser.add_argument(
        "--format", default="feather", choices=FORMATS, help="file type (default feather, as Freqtrade)"
    )
    parser.add_argument("--data-dir", type=Path, help="where to store (env BACKTEST_DATA_DIR, default var/data)")
    parser.add_argument("--api-url", help="send the requests to this base URL instead (a local stub)")


async def fetch_candles(
    client: Any, symbol: str, timeframe: str, start_ms: int, end_ms: int, progress: Callable[[int], None] | None = None
) -> CandleTable:
    """Every closed candle opening in [start, end), fetched in pages of PAGE."""
    step = timeframe_ms(timeframe)
    now = int(time.time() * 1000)
    end_ms = min(end_ms, now // step * step)  # the candle opening now is still forming
    rows: list[list[float]] = []
    since = start_ms
    await with_retries("load markets", client.load_markets, client=client)
    while since < end_ms:
        page: list[list[float]] = await with_retries(
            f"fetch_ohlcv {symbol} {timeframe} since {since}", _page(client, symbol, timeframe, since), client=client
        )
        page = [row for row in page if since <= row[0] < end_ms]
        if not page:
            break
        rows.extend(page)
        if progress is not None:
            progress(len(page))
        since = int(page[-1][0]) + step
    array = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return CandleTable.from_columns(
        array[:, 0].astype(np.int64), list(array[:, 1:].T), f"{client.id} {symbol} {timeframe}"
    )


def _page(client: Any, symbol: str, timeframe: str, since: int) -> Callable[[], Awaitable[list[list[float]]]]:
    async def fetch() -> list[list[float]]:
        return list(await client.fetch_ohlcv(symbol, timeframe, since=since, limit=PAGE))

    return fetch


def merge(old: CandleTable, new: CandleTable) -> CandleTable:
    """Both files' candles in time order; where both have a candle, the newly fetched one."""
    ts = np.concatenate([new.timestamp_ms, old.timestamp_ms])
    _, first = np.unique(ts, return_index=True)  # unique sorts, and keeps the first: the new candle
    columns = [
        np.concatenate([getattr(new, n), getattr(old, n)])[first] for n in ("open", "high", "low", "close", "volume")
    ]
    return CandleTable.from_columns(ts[first], columns, new.source)


def download(args: argparse.Namespace, folder: Path, progress: Callable[[int], None] | None = None) -> Path:
    path: Path = folder / str(args.exchange) / file_name(args.symbol, args.timeframe, args.format)
    old = read_candles(path) if path.exists() else None
    step = timeframe_ms(args.timeframe)
    end_ms = parse_time(args.end) if args.end else int(time.time() * 1000)
    if args.start:
        start_ms = parse_time(args.start)
    elif old is not None and len(old):
        start_ms = int(old.timestamp_ms[-1]) + step
    else:
        start_ms = end_ms - 86_400_000
    fetched = asyncio.run(fetch_from(args, start_ms, end_ms, progress))
    table = fetched if old is None else merge(old, fetched)
    write_candles(table, path)
    return path


async def fetch_from(
    args: argparse.Namespace, start_ms: int, end_ms: int, progress: Callable[[int], None] | None
) -> CandleTable:
    options = {"enableRateLimit": True, "options": {"fetchMarkets": {"types": ["spot"]}}}
    import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]  # here: few commands download

    client = getattr(ccxt_async, args.exchange)(options)
    if args.api_url:
        point_at(client, args.api_url)
    try:
        return await fetch_candles(client, str(args.symbol), str(args.timeframe), start_ms, end_ms, progress)
    finally:
        await client.close()


def main(args: argparse.Namespace, files: BacktestSettings) -> int:
    from tradewire_trader.backtest.cli import progress_bar

    folder = args.data_dir or files.data_dir
    for symbol in (part.strip() for part in str(args.symbol).split(",") if part.strip()):
        one = argparse.Namespace(**{**vars(args), "symbol": symbol})  # BTC_USDT-1m.feather, ETH_USDT-1m.feather
        try:
            with progress_bar(None, f"download {symbol} {args.timeframe}", sys.stderr.isatty()) as advance:
                path = download(one, folder, advance)
        except ccxt.BaseError as error:
            print(f"download {symbol}: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        table = read_candles(path)
        print(f"{path}: {len(table):,} candles" + (f", {_span(table)}" if len(table) else ""))
    return 0


def _span(table: CandleTable) -> str:
    from tradewire_trader.backtest.candle_table import iso

    return f"{iso(int(table.timestamp_ms[0]))} -> {iso(int(table.timestamp_ms[-1]))}"
