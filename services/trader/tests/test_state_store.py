from __future__ import annotations

import sqlite3
from decimal import Decimal as D
from pathlib import Path

import pytest

from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_trader.state_store import StateStore


def trade() -> TradeExecuted:
    return TradeExecuted(
        bot_id="b",
        mode="paper",
        side="buy",
        symbol="BTC/USDT",
        price=D("1"),
        amount=D("1"),
        cost=D("1"),
        fee=D("0"),
        fee_currency="USDT",
        order_id="paper-1",
        position=D("1"),
        balances={"BTC": D("1")},
    )


def test_state_ledger_and_outbox_are_written_together_and_survive_reopening(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")
    fill, status = trade(), StatusChanged(bot_id="b", status="running", reason="r", actor="a")
    ids = store.save({"iteration": 5}, [fill, status])
    store.close()
    reopened = StateStore(tmp_path / "s.sqlite3")
    assert reopened.load() == {"iteration": 5}
    assert [event for _, event in reopened.pending()] == [fill, status]
    assert [i for i, _ in reopened.pending()] == ids
    assert reopened.trades() == [fill]


def test_confirming_removes_from_the_outbox_and_keeps_the_highest_seq(store: StateStore) -> None:
    [first, second] = store.save({}, [trade(), trade()])
    store.confirm(second, 9)
    store.confirm(first, 8)
    assert [i for i, _ in store.pending()] == []
    assert store.last_seq() == 9
    assert len(store.trades()) == 2


def test_a_failed_transaction_writes_nothing(store: StateStore) -> None:
    store.save({"iteration": 1})
    duplicate = trade()
    with pytest.raises(sqlite3.IntegrityError):
        store.save({"iteration": 2}, [duplicate, duplicate])  # same event id twice violates UNIQUE
    assert store.load() == {"iteration": 1}
    assert store.pending() == [] and store.trades() == []
