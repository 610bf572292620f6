"""Template filters for the market number rules (tradewire_dashboard.market_numbers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from tradewire_dashboard import market_numbers

register = template.Library()


@register.filter
def amount(value: Decimal | None, step: Decimal | None = None) -> str:
    return market_numbers.amount(value, step)


@register.filter
def trade_price(trade: Any) -> str:
    """A trade's price to its market's tick when the queryset carries it (`with_precision`)."""
    return market_numbers.price(trade.price, trade.symbol, getattr(trade, "price_tick", None))


@register.filter
def money(value: Decimal | None, currency: str) -> str:
    return market_numbers.money(value, currency)


@register.filter
def profit(value: Decimal | None, currency: str) -> str:
    return market_numbers.money(value, currency, signed=True)


@register.filter
def percent(value: Decimal | None) -> str:
    return market_numbers.percent(value)


@register.filter
def tone(value: Decimal | None) -> str:
    return market_numbers.tone(value)


@register.filter
def quote(symbol: str) -> str:
    return market_numbers.quote_of(symbol)


@register.filter
def held(seconds: float | None) -> str:
    return market_numbers.held(seconds)
