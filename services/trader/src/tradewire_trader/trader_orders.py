"""Orders out: an intent sized and sent to the exchange, a refusal published (at 1, 2, 4, ... in a row),
open orders canceled. A base of `Trader` (trader.py); fills come back through `Fills`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]

from tradewire_schemas import Mode
from tradewire_trader.facts import OrderNote
from tradewire_trader.lanes import Lane
from tradewire_trader.sizing import Sizing, entry_amount
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Intent
from tradewire_trader.trader_fills import Fills

log = logging.getLogger("tradewire.trader")


class Orders(Fills):
    # Set by Trader.__init__.
    mode: Mode
    symbol: str
    store: StateStore
    sizing: Sizing
    outbox_limit: int
    rejected_orders: int
    _refusals_in_a_row: int
    snapshot: Callable[..., dict[str, Any]]  # the trader's: its state as the store keeps it

    async def cancel_open_orders(self) -> int:
        canceled = 0
        for order_id in list(self.exchange.open_orders):
            try:
                await self.exchange.cancel_order(order_id, self.symbol)
                canceled += 1
            except ccxt.BaseError as error:
                log.warning("could not cancel order %s: %s: %s", order_id, type(error).__name__, error)
        self.book_fills(await self.exchange.follow_orders())  # live: what filled before the cancel
        if canceled:
            self.store.save(self.snapshot())
        return canceled

    async def place(self, intent: Intent, reason: str, lane: Lane | None = None, *, force: bool = False) -> str | None:
        """Send the order the intent asks for; a refusal is published and counted. The order id, or None."""
        lane = lane or self.primary
        if self.outbox.durable_backlog >= self.outbox_limit and not force:
            log.warning("not placing %s: %d events wait to be published", intent.side, self.outbox.durable_backlog)
            return None
        price = intent.limit_price or lane.last_price or Decimal(0)
        if intent.side == "buy":
            amount = entry_amount(intent, self.sizing, price, self.equity(lane, price)) if price else Decimal(0)
        else:
            held = self.sellable(lane)
            amount = held if intent.amount is None else min(intent.amount, held)
        try:
            order = await self.exchange.create_order(
                lane.symbol, intent.order_type, intent.side, amount, intent.limit_price
            )
        except (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadSymbol) as refused:
            self.refused(intent, amount, price, f"refused: {refused}", lane)
            return None
        except ccxt.BaseError as error:  # the exchange is unreachable or failing: trade on, decide again later
            self.refused(intent, amount, price, f"failed: {type(error).__name__}: {error}", lane)
            return None
        self._refusals_in_a_row = 0
        order_id = str(order["id"])
        self.notes[order_id] = OrderNote(reason, intent.tag, intent.order_type)
        if self.mode == "live":
            # A live order exists out there: remember it before anything else. A paper order needs no
            # write of its own: after a crash the replayed candles lead to the very same order again.
            self.store.save(self.snapshot())
        return order_id

    def refused(self, intent: Intent, amount: Decimal, price: Decimal, message: str, lane: Lane | None = None) -> None:
        lane = lane or self.primary
        self.rejected_orders += 1
        self._refusals_in_a_row += 1
        in_a_row = self._refusals_in_a_row
        # A strategy that keeps asking while funds are short would flood: say it at 1, 2, 4, 8, ... in a row.
        if in_a_row & (in_a_row - 1) == 0:
            log.warning(
                "%s %s %s order %s (%d in a row)", lane.symbol, intent.side, intent.order_type, message, in_a_row
            )
            price_shown = intent.limit_price or (price or None)
            refusal = lane.facts.refused(
                intent.side, intent.order_type, amount, price_shown, message, lane.rules, in_a_row, intent.tag
            )
            self.record(refusal)
