"""A backtest's report as one JSON document: what was run, the figures, the tables, the trades and the
curves (thinned to at most MAX_POINTS points for the page). The terminal table and the HTML page are
drawn from this document only, so a stored report can be shown again without re-running anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tradewire_trader.backtest.backtest_run import BacktestResult
from tradewire_trader.backtest.breakdown import per_exit_reason, per_month, per_symbol
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.figures import drawdown_series

FORMAT_VERSION = 1
MAX_POINTS = 4000  # per curve on the page: a year of one-minute candles would be 40 MB of HTML
MAX_MARKERS = 4000  # trade markers on the price chart (the trade list keeps every trade)
OVERFIT_WARNING = (
    "These parameters were chosen because they did best on this very data (in-sample). Optimisation "
    "overfits: the best set of a sweep is partly luck, and it usually does worse on data it has not "
    "seen. Trust the held-back period's figures more, and those of a paper run more still."
)


def strategy_parameters(result: BacktestResult) -> dict[str, Any]:
    """The strategy's own parameters as it ran (flags, environment, defaults), and the entry size."""
    from tradewire_trader.components import build_strategy

    settings = result.settings
    params = build_strategy(settings).params.model_dump(mode="json")
    return {**{name: str(value) for name, value in params.items()}, "order_size": str(settings.order_size)}


def risk_rules(result: BacktestResult) -> dict[str, Any]:
    """The exits and limits in force: the strategy's declaration with the settings put over it."""
    from tradewire_trader.components import build_strategy, risk_of

    risk = risk_of(result.settings, build_strategy(result.settings)).model_dump(mode="json")
    return {name: value for name, value in risk.items() if value not in (None, {}, 0)}


def build_report(
    result: BacktestResult, *, name: str, timeframe: str, notes: list[str] | None = None
) -> dict[str, Any]:
    settings = result.settings
    return {
        "tradewire_backtest": FORMAT_VERSION,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": {
            "strategy": settings.strategy,
            "parameters": strategy_parameters(result),
            "risk": risk_rules(result),
            "symbols": settings.markets,
            "timeframe": timeframe,
            "data": result.candles.source,
            "candles": len(result.candles),
            "starting_balances": {
                settings.quote: str(settings.starting_quote),
                settings.base: str(settings.starting_base),
            },
            "quote": settings.quote,
            "taker_fee": str(settings.taker_fee),
            "maker_fee": str(settings.maker_fee),
            "slippage": str(settings.slippage),
            "refused_orders": result.refused_orders,
        },
        "notes": notes or [],
        "figures": result.figures.to_json(),
        "per_symbol": [row.to_json() for row in per_symbol(result.trades)],
        "per_exit_reason": [row.to_json() for row in per_exit_reason(result.trades)],
        "per_month": [row.to_json() for row in per_month(result.trades)],
        "trades": [_trade_json(asdict(trade)) for trade in result.trades],
        "chart": _chart(result),
    }


def _trade_json(trade: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) if not isinstance(value, int | float | str) else value for key, value in trade.items()}


def _chart(result: BacktestResult) -> dict[str, Any]:
    candles, curve = result.candles, result.curve
    every = max(1, -(-len(candles) // MAX_POINTS))  # candles per point, rounded up
    drawdown = drawdown_series(curve.equity) / np.maximum.accumulate(curve.equity) * 100
    starts = np.arange(0, len(candles), every)
    # Equity: the last value of each bucket; drawdown: the deepest, so thinning never hides the worst.
    ends = np.minimum(starts + every, len(candles)) - 1
    price = _thin_ohlc(candles, starts, every)
    markers = []
    for trade in result.trades[-MAX_MARKERS // 2 :]:
        markers.append({"time": _bucket_time(candles, trade.entry_ms, every), "side": "buy", "text": ""})
        markers.append(
            {
                "time": _bucket_time(candles, trade.exit_ms, every),
                "side": "sell",
                "text": "" if trade.reason == "signal" else trade.reason,  # thousands of labels would hide the price
                "win": trade.profit > 0,
            }
        )
    return {
        "candles_per_point": every,
        "symbol": result.settings.symbol,
        "price": price,
        "equity": [
            [int(t) // 1000, round(float(v), 8)]
            for t, v in zip(candles.timestamp_ms[starts], curve.equity[ends], strict=True)
        ],
        "drawdown_pct": [
            [int(t) // 1000, round(float(v), 4)]
            for t, v in zip(candles.timestamp_ms[starts], np.minimum.reduceat(drawdown, starts), strict=True)
        ],
        "markers": sorted(markers, key=lambda m: m["time"]),
        "markers_cut": max(0, len(result.trades) - MAX_MARKERS // 2),
    }


def _thin_ohlc(candles: CandleTable, starts: np.ndarray, every: int) -> list[list[float]]:
    ends = np.minimum(starts + every, len(candles)) - 1
    highs = np.maximum.reduceat(candles.high, starts)
    lows = np.minimum.reduceat(candles.low, starts)
    return [
        [int(t) // 1000, float(o), float(h), float(lo), float(c)]
        for t, o, h, lo, c in zip(
            candles.timestamp_ms[starts], candles.open[starts], highs, lows, candles.close[ends], strict=True
        )
    ]


def _bucket_time(candles: CandleTable, ms: int, every: int) -> int:
    index = min(int(np.searchsorted(candles.timestamp_ms, ms, "right")) - 1, len(candles) - 1)
    return int(candles.timestamp_ms[max(0, index) // every * every]) // 1000


def write_json(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, allow_nan=False))
    return path


def read_json(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text())
    if report.get("tradewire_backtest") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a tradewire backtest report (format {FORMAT_VERSION})")
    return dict(report)
