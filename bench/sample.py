"""What the stand-alone service benches share: the trade they publish and how they read a percentile."""

from __future__ import annotations

from decimal import Decimal

from tradewire_schemas import TradeExecuted


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
