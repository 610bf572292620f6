"""What the benches share: the trade they publish, how they read a percentile, and a child process's CPU
time and memory from /proc (CPU time, not wall-clock: the machine is shared)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from tradewire_schemas import TradeExecuted

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def trade(n: int, bot_id: str) -> TradeExecuted:
    """The n-th bench trade: alternately a buy and a sell, each with its own price and order id."""
    return TradeExecuted(
        bot_id=bot_id,
        mode="paper",
        side="buy" if n % 2 else "sell",
        symbol="BTC/USDT",
        price=Decimal(42000 + n),
        amount=Decimal("0.01"),
        cost=Decimal("420"),
        fee=Decimal("0.42"),
        fee_currency="USDT",
        order_id=str(n),
        position=Decimal("0"),
        balances={"USDT": Decimal("10000")},
    )
