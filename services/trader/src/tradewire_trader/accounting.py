"""Profit accounting with the average-cost method, in exact Decimals.

Why average cost: the strategies buy in steps and sell the whole position, so average cost and FIFO
agree on every complete round trip, and average cost needs one number of state (the cost basis)
instead of a list of lots. The cost basis includes buy fees; a sell's realized profit is its proceeds
minus its fee minus the share of the basis it closes. When a sell closes the position the whole
remaining basis is used, so nothing is lost to rounding; a partial sell's share is rounded to 1e-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tradewire_trader.orders import Fill

ZERO = Decimal(0)
HUNDRED = Decimal(100)
BASIS_STEP = Decimal("0.00000001")
PERCENT_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class Realized:
    profit: Decimal
    percent: Decimal


def percent(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return ZERO
    return (part * HUNDRED / whole).quantize(PERCENT_STEP, rounding=ROUND_HALF_EVEN)


@dataclass
class Book:
    position: Decimal = ZERO  # base coins held, as accounted (equals the exchange's base total)
    cost_basis: Decimal = ZERO  # quote spent on `position`, buy fees included
    realized_profit: Decimal = ZERO
    fees_paid: Decimal = ZERO  # in the quote currency, whatever coin each fee was charged in
    trades: int = 0
    wins: int = 0
    losses: int = 0
    peak_equity: Decimal = ZERO
    max_drawdown: Decimal = ZERO  # percent

    def apply(self, fill: Fill) -> Realized | None:
        """Account for one fill; a sell returns its realized profit (absolute, and percent of its basis).

        The position follows the coins the account holds: a fee taken in the base coin shrinks what a buy
        brought (and adds to what a sell took). Its cost is already in the quote spent, so only fees paid
        from elsewhere (quote, BNB at its quote value) are added to the basis or taken from the proceeds.
        """
        self.trades += 1
        self.fees_paid += fill.fee_in_quote
        if fill.side == "buy":
            self.position += fill.amount - fill.base_fee
            self.cost_basis += fill.cost + fill.cash_fee
            return None
        sold = fill.amount + fill.base_fee
        if sold >= self.position:
            basis = self.cost_basis
        else:
            basis = (self.cost_basis * sold / self.position).quantize(BASIS_STEP, rounding=ROUND_HALF_EVEN)
        profit = fill.cost - fill.cash_fee - basis
        self.position -= sold
        self.cost_basis -= basis
        self.realized_profit += profit
        if profit > 0:
            self.wins += 1
        else:
            self.losses += 1
        return Realized(profit, percent(profit, basis))

    def mark(self, equity: Decimal) -> None:
        """Track the equity peak and the deepest fall from it (in percent)."""
        if equity > self.peak_equity:
            self.peak_equity = equity
        elif self.peak_equity > 0:
            drawdown = (self.peak_equity - equity) * HUNDRED / self.peak_equity
            if drawdown > self.max_drawdown:
                self.max_drawdown = drawdown

    def unrealized(self, price: Decimal) -> Decimal:
        return self.position * price - self.cost_basis

    @property
    def win_rate(self) -> Decimal:
        return percent(Decimal(self.wins), Decimal(self.wins + self.losses))

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Book:
        ints = {"trades", "wins", "losses"}
        values: dict[str, Any] = {k: (v if k in ints else Decimal(v)) for k, v in data.items()}
        return cls(**values)
