"""The events a paper bot builds without validation (trusted.py) are exactly what validation would build.

Over generated fills, books, positions and balances: each event the engine makes read back from its own
JSON through full validation equals it, field for field and byte for byte; a live bot's facts are
validated as they are built, and both modes write the same JSON for the same figures.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tradewire_schemas import PositionsChanged, PriceUpdated, StatsUpdated, TradeExecuted
from tradewire_trader.accounting import Book, Realized
from tradewire_trader.facts import Facts, OrderNote
from tradewire_trader.orders import Balances, Fill
from tradewire_trader.positions import Position
from tradewire_trader.trusted import trusted

prices = st.decimals(min_value="0.00000001", max_value="1000000", places=8, allow_nan=False, allow_infinity=False)
amounts = st.decimals(min_value="0.00001", max_value="10000", places=5, allow_nan=False, allow_infinity=False)
signed = st.decimals(min_value="-1000000", max_value="1000000", places=12, allow_nan=False, allow_infinity=False)
reasons = st.sampled_from(["signal", "stoploss", "roi"])
times = st.integers(min_value=1_500_000_000_000, max_value=2_000_000_000_000)
PAPER, LIVE = Facts("bot-1", "paper", "BTC/USDT", "USDT"), Facts("bot-1", "live", "BTC/USDT", "USDT")


def same_as_validated(event: BaseModel) -> None:
    again = type(event).model_validate_json(event.model_dump_json())
    assert again == event
    assert again.model_dump_json() == event.model_dump_json()
    assert again.model_dump() == event.model_dump()


def same_wire(paper: BaseModel, live: BaseModel) -> None:
    """Paper (trusted) and live (validated) facts of the same figures: the same JSON but for id, time and mode."""
    ignore = {"event_id", "ts", "mode"}
    assert paper.model_dump_json(exclude=ignore) == live.model_dump_json(exclude=ignore)


@st.composite
def fills(draw: st.DrawFn) -> Fill:
    side = draw(st.sampled_from(["buy", "sell"]))
    currency = draw(st.sampled_from(["USDT", "BTC"]))
    fee = draw(st.decimals(min_value=0, max_value="100", places=8, allow_nan=False, allow_infinity=False))
    return Fill(
        "paper-7", "BTC/USDT", side, draw(prices), draw(amounts), fee, currency, draw(times), draw(st.booleans())
    )


@settings(max_examples=150, deadline=None)
@given(
    fill=fills(),
    realized=st.none() | st.builds(Realized, signed, signed),
    note=st.none() | st.builds(OrderNote, reasons, st.text(max_size=80), st.sampled_from(["market", "limit"])),
    closed=st.none() | st.builds(Position, st.just("BTC/USDT"), amounts, prices, times, prices, st.text(max_size=10)),
    position=amounts,
    free=st.dictionaries(st.sampled_from(["BTC", "USDT", "BNB"]), signed, max_size=3),
)
def test_trade_executed_equals_the_validated_event(
    fill: Fill, realized: Realized | None, note: OrderNote | None, closed: Position | None, position: Decimal,
    free: dict[str, Decimal],
) -> None:  # fmt: skip
    balances = Balances(free, {"USDT": Decimal("12.5")})
    paper = PAPER.trade(fill, realized, note, closed, position, balances)
    assert isinstance(paper, TradeExecuted)
    same_as_validated(paper)
    same_wire(paper, LIVE.trade(fill, realized, note, closed, position, balances))


@settings(max_examples=100, deadline=None)
@given(last=prices, first=st.none() | prices, spread=prices, iteration=st.integers(0, 10**9))
def test_price_update_equals_the_validated_event(
    last: Decimal, first: Decimal | None, spread: Decimal, iteration: int
) -> None:
    paper = PAPER.price(last, (last, last + spread), iteration, first)
    assert isinstance(paper, PriceUpdated)
    same_as_validated(paper)
    same_wire(paper, LIVE.price(last, (last, last + spread), iteration, first))


@settings(max_examples=100, deadline=None)
@given(
    position=amounts, basis=signed, profit=signed, fees=prices, trades=st.integers(0, 10**6),
    wins=st.integers(0, 1000), losses=st.integers(0, 1000), drawdown=st.decimals(0, 100, allow_nan=False),
    unrealized=signed, equity=signed,
)  # fmt: skip
def test_stats_update_equals_the_validated_event(
    position: Decimal, basis: Decimal, profit: Decimal, fees: Decimal, trades: int, wins: int, losses: int,
    drawdown: Decimal, unrealized: Decimal, equity: Decimal,
) -> None:  # fmt: skip
    book = Book(position, basis, profit, fees, trades, wins, losses, max_drawdown=drawdown)
    paper = PAPER.stats(book, unrealized, equity)
    assert isinstance(paper, StatsUpdated)
    same_as_validated(paper)
    same_wire(paper, LIVE.stats(book, unrealized, equity))


@settings(max_examples=100, deadline=None)
@given(
    held=st.lists(
        st.tuples(
            st.builds(Position, st.just("BTC/USDT"), amounts, prices, times, prices),
            amounts, st.none() | prices, st.none() | prices,
        ),
        max_size=3,
    )
)  # fmt: skip
def test_positions_update_equals_the_validated_event(
    held: list[tuple[Position, Decimal, Decimal | None, Decimal | None]],
) -> None:
    paper = PAPER.positions(held)
    assert isinstance(paper, PositionsChanged)
    same_as_validated(paper)
    same_wire(paper, LIVE.positions(held))


def test_trusted_fills_defaults_and_refuses_unknown_or_missing_fields() -> None:
    figures = {"bot_id": "b", "symbol": "BTC/USDT", "last": Decimal(1), "bid": Decimal(1), "ask": Decimal(2)}
    event = trusted(PriceUpdated, iteration=3, change_pct=Decimal(0), **figures)
    assert isinstance(event.event_id, UUID) and event.seq == 0 and event.ts.tzinfo is not None
    assert event.model_fields_set == PriceUpdated(iteration=3, change_pct=Decimal(0), **figures).model_fields_set
    with pytest.raises(TypeError, match="no field colour"):
        trusted(PriceUpdated, iteration=3, change_pct=Decimal(0), colour="red", **figures)
    with pytest.raises(TypeError, match="change_pct is required"):
        trusted(PriceUpdated, iteration=3, **figures)
    with pytest.raises(ValidationError):  # frozen like a validated event
        event.seq = 5  # type: ignore[misc]
