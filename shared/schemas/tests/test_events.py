from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from pydantic import ValidationError

from tradewire_schemas import Event, PriceUpdated, StatusChanged, TradeExecuted, decode_event, encode
from tradewire_testing.strategies import events


def a_trade(**changes: object) -> TradeExecuted:
    fields: dict[str, object] = dict(
        bot_id="alpha",
        mode="paper",
        side="sell",
        symbol="BTC/USDT",
        price="42000.10",
        amount="0.0015",
        cost="63.00015",
        fee="0.063",
        fee_currency="USDT",
        order_id="p-1",
        realized_profit="1.5",
        realized_profit_pct="2.44",
        position="0",
        balances={"USDT": "10001.5", "BTC": "0"},
    )
    fields.update(changes)
    return TradeExecuted.model_validate(fields)


@given(events)
def test_every_event_round_trips_through_json(event: Event) -> None:
    assert decode_event(encode(event)) == event


def test_money_travels_as_exact_decimal_strings() -> None:
    wire = json.loads(encode(a_trade(price=Decimal("0.1") + Decimal("0.2"), fee=Decimal("1E-8"))))
    assert wire["price"] == "0.3"
    assert wire["fee"] == "0.00000001"
    assert decode_event(encode(a_trade(price="0.3"))).price == Decimal("0.3")  # type: ignore[union-attr]


def test_binary_float_prices_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="exact decimals travel as strings"):
        a_trade(price=0.1)


def test_events_are_frozen() -> None:
    trade = a_trade()
    with pytest.raises(ValidationError, match="frozen"):
        trade.price = Decimal(1)  # type: ignore[misc]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StatusChanged(bot_id="alpha", status="running", reason="start", actor="ops", colour="red")  # type: ignore[call-arg]


def test_wrong_types_are_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PriceUpdated(bot_id="alpha", symbol="BTC/USDT", last="abc", bid="1", ask="1", change_pct="0", iteration="many")  # type: ignore[arg-type]
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert fields == {"last", "iteration"}


def test_timestamps_are_normalised_to_utc_and_naive_ones_refused() -> None:
    status = StatusChanged(bot_id="a", status="running", reason="", actor="x", ts="2026-01-01T12:00:00+02:00")
    assert status.ts.isoformat() == "2026-01-01T10:00:00+00:00"
    with pytest.raises(ValidationError, match="timezone"):
        StatusChanged(bot_id="a", status="running", reason="", actor="x", ts="2026-01-01T12:00:00")


def test_each_event_gets_its_own_id() -> None:
    assert a_trade().event_id != a_trade().event_id


def test_bot_ids_that_would_break_redis_key_names_are_refused() -> None:
    for bad in ["", "a:b", "a*", "with space", "x" * 65]:
        with pytest.raises(ValidationError, match="bot_id"):
            a_trade(bot_id=bad)
