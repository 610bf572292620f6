"""The report's tables: closed trades grouped per symbol, per exit reason and per month (of the exit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradewire_trader.backtest.closed_trade import ClosedTrade


@dataclass(frozen=True)
class Row:
    key: str
    trades: int
    wins: int
    win_rate_pct: float
    profit: Decimal  # quote currency, exact (sum of the engine's realized profits)
    average_profit_pct: float
    average_duration_s: float

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "profit": str(self.profit)}


def group(trades: list[ClosedTrade], key: Callable[[ClosedTrade], str]) -> list[Row]:
    groups: dict[str, list[ClosedTrade]] = {}
    for trade in trades:
        groups.setdefault(key(trade), []).append(trade)
    rows = []
    for name, members in groups.items():
        wins = sum(1 for t in members if t.profit > 0)
        rows.append(
            Row(
                key=name,
                trades=len(members),
                wins=wins,
                win_rate_pct=wins / len(members) * 100,
                profit=sum((t.profit for t in members), Decimal(0)),
                average_profit_pct=float(sum(t.profit_pct for t in members) / len(members)),
                average_duration_s=sum(t.duration_s for t in members) / len(members),
            )
        )
    return rows


def month_of(trade: ClosedTrade) -> str:
    return datetime.fromtimestamp(trade.exit_ms / 1000, UTC).strftime("%Y-%m")


def per_symbol(trades: list[ClosedTrade]) -> list[Row]:
    return sorted(group(trades, lambda t: t.symbol), key=lambda r: r.key)


def per_exit_reason(trades: list[ClosedTrade]) -> list[Row]:
    return sorted(group(trades, lambda t: t.reason), key=lambda r: -r.trades)


def per_month(trades: list[ClosedTrade]) -> list[Row]:
    return sorted(group(trades, month_of), key=lambda r: r.key)
