"""Small, valid events for tests, with only what a test cares about spelled out."""

from __future__ import annotations

from decimal import Decimal

from tradewire_schemas import PriceUpdated, StatusChanged, TradeExecuted


def price(bot_id: str = "alpha", iteration: int = 0, last: str = "42000") -> PriceUpdated:
    return PriceUpdated(
        bot_id=bot_id, symbol="BTC/USDT", last=last, bid=last, ask=last, change_pct="0", iteration=iteration
    )


def trade(bot_id: str = "alpha", order_id: str = "o-1", side: str = "buy", price: str = "42000") -> TradeExecuted:
    amount = Decimal("0.001")
    return TradeExecuted.model_validate(
        dict(
            bot_id=bot_id,
            mode="paper",
            side=side,
            symbol="BTC/USDT",
            price=price,
            amount=amount,
            cost=Decimal(price) * amount,
            fee="0.042",
            fee_currency="USDT",
            order_id=order_id,
            position="0.001" if side == "buy" else "0",
            balances={"USDT": "9957.958", "BTC": "0.001"},
        )
    )


def status(bot_id: str = "alpha", state: str = "running", actor: str = "tests") -> StatusChanged:
    return StatusChanged.model_validate(dict(bot_id=bot_id, status=state, reason="test", actor=actor))
