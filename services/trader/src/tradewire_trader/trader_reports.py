"""What the trader says about itself: equity, prices, stats, positions and markets, as facts to publish.

A base of `Trader` (trader.py), apart so the engine module stays about trading; it reads the engine's
lanes, wallet and positions and only describes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from tradewire_schemas import MarketsLoaded, PriceUpdated, StatsUpdated, SymbolStats
from tradewire_trader.accounting import Book
from tradewire_trader.exchange import Exchange
from tradewire_trader.exits import ExitWatch
from tradewire_trader.facts import Facts, market_fact
from tradewire_trader.lanes import Lane, combined_book
from tradewire_trader.outbox import Outbox
from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk


class Reports:
    bot_id: str
    exchange: Exchange
    outbox: Outbox
    risk: Risk
    lanes: list[Lane]
    several: bool  # more than one symbol
    by_symbol: dict[str, Lane]
    primary: Lane
    quote: str
    facts: Facts
    account: Book
    positions: dict[str, Position]
    _watches: dict[str, ExitWatch]

    def equity(self, lane: Lane | None = None, price: Decimal | None = None) -> Decimal:
        """Cash plus every symbol's coins at its last price (`lane`'s at `price` when given)."""
        balances = self.exchange.balances
        total = balances.total(self.quote)
        if not self.several:  # the per-candle case of a one-symbol bot, kept short
            primary = self.primary
            at = price if price is not None else primary.last_price or primary.first_price
            return total if at is None else total + balances.total(primary.base) * at
        for each in self.lanes:
            at = price if each is lane and price is not None else each.last_price or each.first_price
            if at is not None:
                total += balances.total(each.base) * at
        return total

    def price_event(self, last: Decimal, lane: Lane | None = None) -> PriceUpdated:
        lane = lane or self.primary
        return lane.facts.price(last, self.exchange.bid_ask(last, lane.symbol), lane.count, lane.first_price)

    def stats_event(self) -> StatsUpdated:
        return self._stats_later()()

    def _stats_later(self) -> Callable[[], StatsUpdated]:
        """The figures now, the event when sent (see Facts.price_later); several symbols: each one's too."""
        unrealized, shares = Decimal(0), []
        for lane in self.lanes:
            price = lane.last_price or lane.first_price
            mine = Decimal(0) if price is None else lane.book.unrealized(price)
            unrealized += mine
            if len(self.lanes) > 1:
                book = lane.book
                shares.append(
                    SymbolStats(
                        symbol=lane.symbol, trades=book.trades, wins=book.wins, losses=book.losses,
                        realized_profit=book.realized_profit, unrealized_profit=mine, position=book.position,
                        fees_paid=book.fees_paid,
                    )
                )  # fmt: skip
        book = combined_book([lane.book for lane in self.lanes], self.account)
        return self.facts.stats_later(book, unrealized, self.equity(), shares or None)

    def publish_markets(self) -> None:
        """The markets this bot trades, with their precision and limits (for charts and tables)."""
        markets = [market_fact(lane.rules) for lane in self.lanes]
        self.outbox.add_latest(MarketsLoaded(bot_id=self.bot_id, markets=markets))

    def publish_stats(self) -> None:
        self.outbox.add_latest(self._stats_later(), key="stats_update")

    def watch(self, position: Position) -> ExitWatch:
        """The position's exit thresholds (rebuilt after a restart or a new entry fill)."""
        watch = self._watches.get(position.symbol)
        if watch is None or watch.position is not position:
            watch = self._watches[position.symbol] = ExitWatch(self.risk, position)
        return watch

    def publish_positions(self) -> None:
        """Queue the open positions as they are now; described only when sent (a fast replay moves on)."""
        balances = self.exchange.balances
        open_now = [
            (replace(p), balances.total(self.by_symbol[p.symbol].base), self.watch(p).stop, self.watch(p).take)
            for p in self.positions.values()
        ]
        self.outbox.add_latest(lambda: self.facts.positions(open_now), key="positions_changed")
