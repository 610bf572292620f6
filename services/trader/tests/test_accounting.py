"""Average-cost profit accounting, checked against hand-computed numbers."""

from __future__ import annotations

from decimal import Decimal as D

from tradewire_trader.accounting import Book
from tradewire_trader.orders import Fill


def fill(side: str, price: str, amount: str, fee: str) -> Fill:
    return Fill("o", "BTC/USDT", side, D(price), D(amount), D(fee), "USDT", 0, True)  # type: ignore[arg-type]


def test_round_trip_profit_includes_both_fees() -> None:
    book = Book()
    assert book.apply(fill("buy", "42021.00", "0.01", "0.42021")) is None
    assert book.cost_basis == D("420.63021")  # 420.21 + 0.42021
    realized = book.apply(fill("sell", "42978.50", "0.01", "0.429785"))
    # proceeds 429.785 - fee 0.429785 - basis 420.63021 = 8.725005; / 420.63021 = 2.07426..%
    assert realized is not None
    assert realized.profit == D("8.725005")
    assert realized.percent == D("2.0743")
    assert (book.position, book.cost_basis, book.realized_profit) == (0, 0, D("8.725005"))
    assert (book.trades, book.wins, book.losses, book.win_rate) == (2, 1, 0, D("100.0000"))
    assert book.fees_paid == D("0.849995")


def test_average_cost_over_two_buys_and_a_losing_sell() -> None:
    book = Book()
    book.apply(fill("buy", "100", "1", "0.1"))  # basis 100.1
    book.apply(fill("buy", "80", "1", "0.08"))  # basis 180.18
    realized = book.apply(fill("sell", "85", "2", "0.17"))
    assert realized is not None
    assert realized.profit == D("170") - D("0.17") - D("180.18")  # -10.35
    assert (book.wins, book.losses, book.win_rate) == (0, 1, D("0.0000"))


def test_partial_sell_closes_its_share_of_the_basis_and_the_rest_closes_exactly() -> None:
    book = Book()
    book.apply(fill("buy", "30", "3", "0"))  # basis 90, average 30
    first = book.apply(fill("sell", "40", "1", "0"))
    second = book.apply(fill("sell", "20", "2", "0"))
    assert first is not None and second is not None
    assert (first.profit, second.profit) == (D("10"), D("-20"))
    assert book.realized_profit == D("-10") and book.cost_basis == 0


def test_unrealized_profit_and_drawdown() -> None:
    book = Book()
    book.apply(fill("buy", "100", "2", "0.2"))
    assert book.unrealized(D("110")) == D("220") - D("200.2")
    book.mark(D("1000"))
    book.mark(D("900"))
    book.mark(D("950"))
    book.mark(D("1100"))
    book.mark(D("1045"))
    assert book.max_drawdown == D("10")  # 1000 -> 900
    assert Book.from_json(book.to_json()) == book
