"""Fills into the books: each fill booked on its symbol's lane, its position opened, grown or closed, and
published as a `trade_executed` saved with the state in one transaction. A base of `Trader` (trader.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from tradewire_runtime.logs import trace
from tradewire_schemas import TradeExecuted
from tradewire_trader.exchange import Exchange
from tradewire_trader.facts import OrderNote
from tradewire_trader.lanes import Lane
from tradewire_trader.orders import Fill
from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk
from tradewire_trader.trader_reports import Reports

log = logging.getLogger("tradewire.trader")


class Fills(Reports):
    exchange: Exchange
    risk: Risk
    notes: dict[str, OrderNote]
    fills: Counter[str]

    record: Callable[..., None]  # the trader's: saves the state with these events, then queues them

    def sellable(self, lane: Lane | None = None) -> Decimal:
        """The position the strategy may sell: what the book holds, but never more than the account has free."""
        lane = lane or self.primary
        free = self.exchange.balances.free.get(lane.base)
        held = lane.book.position if free is None else min(lane.book.position, free)
        return lane.rules.floor_amount(held)

    def book_fills(self, fills: list[Fill]) -> None:
        """Book fills and save them with the state in one transaction: a crash keeps all of them or none."""
        if not fills:
            return
        trades = [self.on_fill(fill) for fill in fills]
        self.record(*trades)
        self.publish_stats()
        self.publish_positions()

    def on_fill(self, fill: Fill) -> TradeExecuted:
        lane = self.by_symbol[fill.symbol]
        realized = lane.book.apply(fill)
        self.fills[fill.side] += 1
        # An order may fill in parts: its note stays until the last part.
        note = self.notes.get(fill.order_id)
        if fill.order_id not in self.exchange.open_orders:
            self.notes.pop(fill.order_id, None)
        position, closed = self.positions.get(fill.symbol), None
        if fill.side == "buy":
            if position is None:
                tag = "" if note is None else note.tag
                self.positions[fill.symbol] = Position(
                    fill.symbol, fill.amount, fill.price, fill.timestamp_ms, fill.price, tag
                )
            else:
                position.add(fill.amount, fill.price)
                self.watch(position).reset()
        elif position is not None and self.sellable(lane) <= 0:
            closed = self.positions.pop(fill.symbol)
            if realized is not None and realized.profit < 0:
                lane.cooldown_until = lane.count + self.risk.cooldown_candles
        balances = self.exchange.balances
        trade = lane.facts.trade(fill, realized, note, closed, balances.total(lane.base), balances)
        if log.isEnabledFor(logging.INFO):  # the line's parts cost a few us per fill: only when it is written
            profit = "" if realized is None else f" profit {realized.profit} {self.quote} ({realized.percent}%)"
            why = "" if note is None else f" [{note.reason}{': ' + note.tag if note.tag else ''}]"
            log.info(
                "%s %s %s at %s fee %s %s%s%s", fill.side, fill.amount, lane.base, fill.price, fill.fee,
                fill.fee_currency, profit, why, extra=trace(bot_id=self.bot_id, event_id=trade.event_id),
            )  # fmt: skip
        return trade
