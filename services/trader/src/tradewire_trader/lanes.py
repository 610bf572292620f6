"""A lane: what the engine keeps per symbol when a bot trades several from one wallet.

Each symbol has its own indicators (feed), book (position, cost, realized profit, trades), first price,
last price, cooldown and facts; the wallet (balances), the open positions' limit, the equity peak and
the drawdown stop belong to the bot. Candles of several symbols arrive round-robin in a fixed order
(multi_market.py), one per symbol per time step, so candle number i of the stream is candle i // n of
symbol i % n: a restart finds every lane's place from the one iteration counter it saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradewire_schemas import Mode
from tradewire_trader.accounting import ZERO, Book
from tradewire_trader.facts import Facts
from tradewire_trader.markets import MarketRules
from tradewire_trader.strategies import Strategy
from tradewire_trader.strategies.feed import IndicatorFeed


@dataclass
class Lane:
    rules: MarketRules
    feed: IndicatorFeed
    facts: Facts
    book: Book = field(default_factory=Book)
    first_price: Decimal | None = None
    last_price: Decimal | None = None
    count: int = 0  # candles of this symbol traded (or replayed to warm up) so far
    cooldown_until: int = 0  # no entry before this candle of the symbol (after a losing exit)
    stop_moved: bool = False  # a trailing stop moved since the last price update

    @property
    def symbol(self) -> str:
        return self.rules.symbol

    @property
    def base(self) -> str:
        return self.rules.base

    @classmethod
    def of(cls, rules: MarketRules, strategy: Strategy, bot_id: str, mode: Mode) -> Lane:
        return cls(rules, IndicatorFeed(strategy), Facts(bot_id, mode, rules.symbol, rules.quote))


def candles_before(iteration: int, position: int, lanes: int) -> int:
    """How many of the first `iteration` candles of a round-robin stream belong to lane `position`."""
    return (iteration + lanes - 1 - position) // lanes


def combined_book(books: list[Book], account: Book) -> Book:
    """Every lane's book summed, with the bot's equity peak and drawdown (kept in `account`): what the
    bot-wide stats describe. One lane: its own book, with that drawdown."""
    if len(books) == 1:  # every fill of a one-symbol bot: the sums below without their generators
        [book] = books
        return Book(
            position=ZERO + book.position, cost_basis=ZERO + book.cost_basis,
            realized_profit=ZERO + book.realized_profit, fees_paid=ZERO + book.fees_paid, trades=book.trades,
            wins=book.wins, losses=book.losses, peak_equity=account.peak_equity, max_drawdown=account.max_drawdown,
        )  # fmt: skip
    return Book(
        position=sum((b.position for b in books), Decimal(0)),
        cost_basis=sum((b.cost_basis for b in books), Decimal(0)),
        realized_profit=sum((b.realized_profit for b in books), Decimal(0)),
        fees_paid=sum((b.fees_paid for b in books), Decimal(0)),
        trades=sum(b.trades for b in books),
        wins=sum(b.wins for b in books),
        losses=sum(b.losses for b in books),
        peak_equity=account.peak_equity,
        max_drawdown=account.max_drawdown,
    )
