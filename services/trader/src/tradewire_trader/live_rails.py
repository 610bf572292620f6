"""What live trading adds around the engine: the kill switch, and saying so when exchange reads fail."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import ccxt  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from tradewire_trader.trader import Trader

log = logging.getLogger("tradewire.trader")


async def cancel_everything(trader: Trader) -> tuple[int, str]:
    """Cancel every open order of the market (live: all of them on the exchange); (count, error or "")."""
    cancel_all = getattr(trader.exchange, "cancel_all", None)
    if cancel_all is None:
        return await trader.cancel_open_orders(), ""
    try:
        canceled: int = await cancel_all()
    except ccxt.BaseError as error:
        log.error("halt: canceling every open order failed: %s: %s", type(error).__name__, error)
        return 0, f"{type(error).__name__}: {error}"
    trader.book_fills(await trader.exchange.follow_orders())
    trader.store.save(trader.snapshot())
    return canceled, ""


def report_exchange_trouble(trader: Trader) -> None:
    """Publish a status change when exchange reads start failing and when they work again."""
    trouble: str | None = getattr(trader.exchange, "read_error", None)
    if (trouble is None) == (trader.reported_read_error is None):
        return
    trader.reported_read_error = trouble
    reason = "exchange reads work again" if trouble is None else f"exchange reads failing (trading goes on): {trouble}"
    trader.change_status(trader.status, reason)
