"""Markets' precision for the pages the server renders (history, admin): the recorder keeps the latest
`markets_loaded` of each market in `Market`, and trade querysets get their market's tick and step
annotated, so a page of trades costs no query per row."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DataError, transaction
from django.db.models import OuterRef, QuerySet, Subquery

from tradewire_dashboard.models import Market, Trade
from tradewire_schemas import MarketsLoaded

log = logging.getLogger("tradewire.dashboard.recorder")


def with_precision(trades: QuerySet[Trade]) -> QuerySet[Trade]:
    """`trades` with `price_tick` and `amount_step` of their market (None for a market never published)."""
    market = Market.objects.filter(symbol=OuterRef("symbol"))
    return trades.annotate(
        price_tick=Subquery(market.values("price_tick")[:1]), amount_step=Subquery(market.values("amount_step")[:1])
    )


def store_markets(events: Iterable[MarketsLoaded]) -> int:
    """Keeps each market's tick and step (the latest wins); one the table cannot hold is logged and skipped."""
    stored = 0
    for event in events:
        for market in event.markets:
            try:
                with transaction.atomic():
                    Market.objects.update_or_create(
                        symbol=market.symbol,
                        defaults={"price_tick": market.price_tick, "amount_step": market.amount_step},
                    )
                stored += 1
            except DataError as error:
                log.warning("market %s of %s not kept (%s)", market.symbol, event.bot_id, error)
    return stored
