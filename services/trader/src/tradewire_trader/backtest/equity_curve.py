"""The account's value at every candle's close, rebuilt from the fills the engine published.

Each `trade_executed` carries the balances after the fill; between fills they do not move, so the
equity at candle i is the quote balance plus each coin held times that candle's close: one
`searchsorted` and a few array operations for a year of one-minute candles.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tradewire_schemas import TradeExecuted
from tradewire_trader.backtest.candle_table import Floats, Ints
from tradewire_trader.backtest.closed_trade import ClosedTrade, market_ms


@dataclass(frozen=True)
class EquityCurve:
    timestamp_ms: Ints  # each candle's open time
    equity: Floats  # in the quote currency, at each candle's close
    in_market: np.ndarray  # bool per candle: a position was open during it

    @property
    def start(self) -> float:
        return float(self.equity[0])

    @property
    def end(self) -> float:
        return float(self.equity[-1])


def equity_curve(
    timestamp_ms: Ints,
    closes: dict[str, Floats],
    quote: str,
    starting: dict[str, Decimal],
    fills: list[TradeExecuted],
    trades: list[ClosedTrade],
) -> EquityCurve:
    """`closes`: each symbol's closes on the same candle times; `starting`: balances before the first fill."""
    n = len(timestamp_ms)
    bases = {symbol: symbol.split("/")[0] for symbol in closes}
    # Row 0 holds the starting balances; row k + 1 the balances after fill k.
    quote_after = np.array([float(starting.get(quote, 0))] + [float(f.balances.get(quote, 0)) for f in fills])
    fill_ms = np.array([market_ms(f) for f in fills], dtype=np.int64)
    fill_candle = np.searchsorted(timestamp_ms, fill_ms, "right") - 1  # the candle each fill happened in
    # The balances at candle i's close are those after the last fill in or before it (row 0: none yet).
    row = np.searchsorted(fill_candle, np.arange(n), "right")
    equity = quote_after[row]
    for symbol, close in closes.items():
        base = bases[symbol]
        held = np.array([float(starting.get(base, 0))] + [float(f.balances.get(base, 0)) for f in fills])
        equity = equity + held[row] * close
    in_market = np.zeros(n + 1, dtype=np.int64)
    for trade in trades:  # +1 where a position opens, -1 after the candle it closed in
        in_market[np.searchsorted(timestamp_ms, trade.entry_ms, "left")] += 1
        in_market[np.searchsorted(timestamp_ms, trade.exit_ms, "left")] -= 1
    still_open = [f for f in fills[-1:] if f.position > 0]
    if still_open and (not trades or trades[-1].exit_ms < market_ms(still_open[0])):
        in_market[np.searchsorted(timestamp_ms, _open_since(fills, trades), "left")] += 1
    return EquityCurve(timestamp_ms, equity, np.cumsum(in_market[:n]) > 0)


def _open_since(fills: list[TradeExecuted], trades: list[ClosedTrade]) -> int:
    """Market time of the first buy after the last exit: the position still open at the end."""
    after = trades[-1].exit_ms if trades else -1
    return min(market_ms(f) for f in fills if f.side == "buy" and market_ms(f) > after)
