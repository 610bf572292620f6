"""The trader's state file contents: what is saved with every durable event, and how it is read back.

Every symbol's book, first price and cooldown is saved; the first symbol's also under the keys a
one-symbol trader wrote before bots traded several, so older state files load unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradewire_trader.accounting import Book
from tradewire_trader.facts import OrderNote
from tradewire_trader.positions import Position

if TYPE_CHECKING:
    from tradewire_trader.trader import Trader


def describe(identity: dict[str, str]) -> str:
    return ", ".join(f"{key} {identity.get(key)}" for key in ("bot_id", "symbol", "strategy", "exchange"))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def state_snapshot(trader: Trader, *, clean_exit: bool = False) -> dict[str, Any]:
    primary = trader.primary
    book = primary.book.to_json()
    book.update(peak_equity=str(trader.account.peak_equity), max_drawdown=str(trader.account.max_drawdown))
    return {
        "exchange": trader.exchange.state(),
        "book": book,
        "iteration": trader.iteration,
        "first_price": None if primary.first_price is None else str(primary.first_price),
        "status": trader.status,
        "clean_exit": clean_exit,
        "positions": [p.to_json() for p in trader.positions.values()],
        "notes": {k: n.to_json() for k, n in trader.notes.items()},
        "cooldown_until": primary.cooldown_until,
        "identity": trader.identity,
        "lanes": {
            lane.symbol: {
                "book": lane.book.to_json(),
                "first_price": None if lane.first_price is None else str(lane.first_price),
                "cooldown_until": lane.cooldown_until,
            }
            for lane in trader.lanes[1:]
        },
    }


def restore_state(trader: Trader, saved: dict[str, Any] | None) -> bool:
    """Load a saved state into the trader; False when there is none. A file of another bot is refused."""
    if saved is None:
        return False
    owner = saved.get("identity", trader.identity)  # files from before identities are adopted
    if owner != trader.identity:
        raise ValueError(
            f"the state file {trader.store.path} belongs to {describe(owner)}, not to {describe(trader.identity)}: "
            "give this bot its own --state-file (or move that one away)"
        )
    trader.exchange.restore(saved["exchange"])
    primary = trader.primary
    book = Book.from_json(saved["book"])
    trader.account = Book(peak_equity=book.peak_equity, max_drawdown=book.max_drawdown)
    book.peak_equity, book.max_drawdown = Decimal(0), Decimal(0)
    primary.book, primary.first_price = book, _decimal(saved["first_price"])
    primary.cooldown_until = saved.get("cooldown_until", 0)
    for symbol, lane_state in saved.get("lanes", {}).items():
        lane = trader.by_symbol[symbol]
        lane.book = Book.from_json(lane_state["book"])
        lane.first_price = _decimal(lane_state["first_price"])
        lane.cooldown_until = lane_state["cooldown_until"]
    last_prices = getattr(trader.exchange, "last_prices", None) or {}
    for lane in trader.lanes:
        lane.last_price = last_prices.get(lane.symbol)
    if primary.last_price is None:
        primary.last_price = trader.exchange.last_price
    trader.iteration = saved["iteration"]
    trader.clean_exit = saved["clean_exit"]
    trader.positions = {p["symbol"]: Position.from_json(p) for p in saved.get("positions", [])}
    trader.notes = {k: OrderNote(*v) for k, v in saved.get("notes", {}).items()}
    return True
