"""Storing trades read from the bus: one transaction per batch, and a trade the table cannot hold
quarantined instead of stalling the recorder (on PostgreSQL a price of 1e20 or a 129-character order id
failed the whole batch, and the recorder retried it for ever; SQLite stored both)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import DecimalField, Q

from tradewire_dashboard.market_precision import store_markets
from tradewire_dashboard.models import Bot, QuarantinedTrade, RecorderCursor, Trade
from tradewire_schemas import Envelope, MarketsLoaded, TradeExecuted

log = logging.getLogger("tradewire.dashboard.recorder")

# What the database refuses for one row's values; anything else (a lost connection) is retried whole.
ROW_ERRORS = (DataError, IntegrityError)


@dataclass(frozen=True)
class Stored:
    new: int = 0
    duplicates: int = 0
    quarantined: int = 0


def trade_row(bot: Bot, envelope: Envelope, trade: TradeExecuted) -> Trade:
    return Trade(
        event_id=trade.event_id,
        bot=bot,
        seq=trade.seq,
        offset=envelope.offset,
        executed_at=trade.ts,
        mode=trade.mode,
        side=trade.side,
        symbol=trade.symbol,
        price=trade.price,
        amount=trade.amount,
        cost=trade.cost,
        fee=trade.fee,
        fee_currency=trade.fee_currency,
        order_id=trade.order_id,
        realized_profit=trade.realized_profit,
        realized_profit_pct=trade.realized_profit_pct,
        position=trade.position,
        market_time=trade.market_time,
        order_type=trade.order_type or "",
        liquidity=trade.liquidity or "",
        reason=trade.reason or "",
        tag=trade.tag or "",
        entry_price=trade.entry.price if trade.entry else None,
        held_s=trade.entry.duration_s if trade.entry else None,
    )


def unfit(row: Trade) -> str | None:
    """Why the trades table cannot hold this row, or None. Decimals are rounded as the database would."""
    for field in Trade._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(field, DecimalField) and isinstance(value, Decimal):
            try:
                with localcontext(prec=field.max_digits + 40):
                    setattr(row, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places)))
            except InvalidOperation:
                return f"{field.name}: {value} is out of range"
    try:
        row.clean_fields(exclude=["bot"])
    except ValidationError as error:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return None


def quarantine(envelope: Envelope, reason: str) -> None:
    event = envelope.event
    log.error(
        "recorder quarantined trade %s of %s (seq %d, offset %s): %s",
        event.event_id,
        event.bot_id,
        event.seq,
        envelope.offset,
        reason,
    )
    QuarantinedTrade.objects.bulk_create(
        [
            QuarantinedTrade(
                event_id=event.event_id,
                bot_id=event.bot_id,
                offset=envelope.offset,
                reason=reason[:2000],
                event=event.model_dump_json(),
            )
        ],
        ignore_conflicts=True,
    )


def store(envelopes: list[Envelope]) -> Stored:
    """Store a batch of trade envelopes and advance each bot's cursor; a row the database refuses
    makes the batch go again one trade at a time, quarantining the one refused."""
    store_markets(envelope.event for envelope in envelopes if isinstance(envelope.event, MarketsLoaded))
    try:
        return _store(envelopes)
    except ROW_ERRORS as error:
        log.warning("recorder batch refused (%s); storing its trades one at a time", error)
    totals = Stored()
    for envelope in envelopes:
        try:
            one = _store([envelope])
        except ROW_ERRORS as error:
            one = _store([envelope], refused=str(error))
        totals = Stored(*(a + b for a, b in zip(vars(totals).values(), vars(one).values(), strict=True)))
    return totals


def _store(envelopes: list[Envelope], refused: str | None = None) -> Stored:
    trades = [(envelope, envelope.event) for envelope in envelopes if isinstance(envelope.event, TradeExecuted)]
    if not trades:
        return Stored()
    with transaction.atomic():
        bots = {}
        for _, trade in trades:
            if trade.bot_id not in bots:
                bots[trade.bot_id], _ = Bot.objects.get_or_create(bot_id=trade.bot_id)
        ids = [trade.event_id for _, trade in trades]
        known = set(Trade.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        fresh, quarantined = [], 0
        for envelope, trade in trades:
            if trade.event_id in known:
                continue
            row = trade_row(bots[trade.bot_id], envelope, trade)
            if (reason := refused or unfit(row)) is not None:
                quarantine(envelope, reason)
                quarantined += 1
            else:
                fresh.append(row)
        Trade.objects.bulk_create(fresh, ignore_conflicts=True)
        last: dict[str, Envelope] = {}
        for envelope, trade in trades:
            last[trade.bot_id] = envelope
        for bot_id, envelope in last.items():
            RecorderCursor.objects.update_or_create(
                bot=bots[bot_id], defaults={"epoch": envelope.epoch, "offset": envelope.offset}
            )
        for bot_id, bot in bots.items():
            newest = max(t.ts for _, t in trades if t.bot_id == bot_id)
            later = Q(last_trade_at__isnull=True) | Q(last_trade_at__lt=newest)
            Bot.objects.filter(later, pk=bot.pk).update(last_trade_at=newest)
    return Stored(len(fresh), len(trades) - len(fresh) - quarantined, quarantined)
