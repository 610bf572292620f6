"""Events as the trader publishes them, and notices made from them, for the notifier's tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewire_notifier.messages import Notice, notice
from tradewire_schemas import TradeExecuted


def trade(side: str = "sell", profit: str | None = "12.5", bot_id: str = "demo", **extra: Any) -> TradeExecuted:
    fields: dict[str, Any] = {
        "bot_id": bot_id,
        "mode": "paper",
        "side": side,
        "symbol": "BTC/USDT",
        "price": Decimal("42000.1"),
        "amount": Decimal("0.01"),
        "cost": Decimal("420.001"),
        "fee": Decimal("0.42"),
        "fee_currency": "USDT",
        "order_id": "o-1",
        "position": Decimal("0"),
        "balances": {"USDT": Decimal("10012.5")},
        "seq": 1,
    }
    if side == "sell" and profit is not None:
        fields |= {"realized_profit": Decimal(profit), "realized_profit_pct": Decimal(profit) / Decimal("4.2")}
    return TradeExecuted(**(fields | extra))


def a_notice(bot_id: str = "demo", profit: str = "12.5") -> Notice:
    made = notice(trade(profit=profit, bot_id=bot_id), "http://127.0.0.1:8001")
    assert made is not None
    return made
