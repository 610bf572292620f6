"""Template filters for the market number rules (tradewire_dashboard.market_numbers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from tradewire_dashboard import market_numbers

register = template.Library()


# The rules themselves, under the names the templates use.
register.filter("amount", market_numbers.amount)
register.filter("money", market_numbers.money)
register.filter("percent", market_numbers.percent)
register.filter("tone", market_numbers.tone)
register.filter("quote", market_numbers.quote_of)
register.filter("held", market_numbers.held)


@register.filter
def trade_price(trade: Any) -> str:
    """A trade's price to its market's tick when the queryset carries it (`with_precision`)."""
    return market_numbers.price(trade.price, trade.symbol, getattr(trade, "price_tick", None))


@register.filter
def profit(value: Decimal | None, currency: str) -> str:
    return market_numbers.money(value, currency, signed=True)
