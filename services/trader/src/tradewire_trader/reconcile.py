"""Reconciliation: the exchange's open orders, trades and balance against the book, on start and on a schedule.

1. Orders of ours (our client id prefix) that the exchange has open and we do not track are adopted.
2. Trades after the last one we booked whose order is ours and not tracked: that order is adopted.
3. Every tracked order is followed, so what the book missed is booked (and published) once.
4. Then the base coin the exchange holds must equal the book's position. A difference that is left
   cannot be explained: new orders stop (status `stopped`, with the figures) and a metric shows it.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

import ccxt  # type: ignore[import-untyped]

from tradewire_trader.live_exchange import LiveExchange
from tradewire_trader.live_orders import TrackedOrder

if TYPE_CHECKING:
    from tradewire_trader.trader import Trader

log = logging.getLogger("tradewire.trader.reconcile")


async def adopt_missing_orders(exchange: LiveExchange) -> int:
    """Track orders of ours the exchange knows and we do not (lost with a state file, or never saved)."""
    client, symbol = exchange.client, exchange.rules.symbol
    found = {}
    for raw in await client.fetch_open_orders(symbol):
        found[str(raw["id"])] = raw
    if exchange.last_trade_id:
        trades = await client.fetch_my_trades(symbol, None, None, {"fromId": exchange.last_trade_id + 1})
        tracked = {o.id for o in exchange.orders.values()}
        for order_id in {str(t["order"]) for t in trades} - tracked - set(found):
            found[order_id] = await client.fetch_order(order_id, symbol)
    known = set(exchange.orders) | {o.id for o in exchange.orders.values()}
    adopted = 0
    for order_id, raw in found.items():
        client_id = str(raw.get("clientOrderId") or "")
        if not client_id.startswith(exchange.prefix) or client_id in known or order_id in known:
            continue
        order = TrackedOrder(
            client_id, raw["side"], raw["type"], Decimal(str(raw["amount"])), None, exchange.clock(), "open", order_id
        )
        exchange.orders[client_id] = order
        # A state file older than this order would hand out its client id again: never reuse one.
        number = client_id.removeprefix(exchange.prefix)
        if number.isdigit():
            exchange.order_number = max(exchange.order_number, int(number))
        log.warning("reconciliation: order %s (%s) is ours and was not tracked; booking its fills", client_id, order_id)
        adopted += 1
    return adopted


async def reconcile(trader: Trader) -> None:
    exchange = trader.exchange
    if not isinstance(exchange, LiveExchange):
        return
    try:
        await adopt_missing_orders(exchange)
        trader.book_fills(await exchange.follow_orders())
        await exchange.refresh_balances()
    except ccxt.BaseError as error:  # tried again at the next scheduled time; trading goes on
        exchange._read_failed("reconciling", error)
        return
    if any(o.status != "open" or o.filled > o.booked for o in exchange.orders.values()):
        return  # an order whose fate or fills are not known yet moves coins: compare when none does
    held, booked = exchange.balances.total(trader.base), trader.book.position
    trader.reconcile_difference = held - booked
    if held == booked:
        return
    reason = (
        f"reconciliation: the exchange holds {held} {trader.base}, the book {booked} "
        f"(difference {held - booked}); new orders stopped until someone looks"
    )
    log.error(reason)
    if trader.status == "running":
        trader.change_status("stopped", reason)
