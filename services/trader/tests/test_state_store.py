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


def on_disk(path: Path) -> tuple[list[int], int]:
    """What another reader (or the trader restarted after kill -9) finds: outbox ids and the saved seq."""
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM outbox ORDER BY id")]
        seq = db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
    return ids, 0 if seq is None else int(seq[0])


def test_a_confirmation_is_written_with_the_next_state_change(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")
    [first, second] = store.save({"iteration": 1}, [trade(), trade()])
    store.confirm_later(first, 7)
    assert [i for i, _ in store.pending()] == [second] and store.last_seq() == 7  # this store counts it at once
    assert on_disk(store.path) == ([first, second], 0)  # not written yet: a crash now keeps the event
    store.save({"iteration": 2})
    assert on_disk(store.path) == ([second], 7)
    store.close()


def test_a_failed_transaction_keeps_the_confirmations_for_the_next(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")
    [first] = store.save({"iteration": 1}, [trade()])
    store.confirm_later(first, 3)
    duplicate = trade()
    with pytest.raises(sqlite3.IntegrityError):
        store.save({"iteration": 2}, [duplicate, duplicate])
    assert on_disk(store.path) == ([first], 0) and store.unwritten_confirmations == 1
    store.write_confirmations()
    assert on_disk(store.path) == ([], 3) and store.unwritten_confirmations == 0
    store.close()


def test_closing_writes_the_confirmations(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite3")
    [first] = store.save({}, [trade()])
    store.confirm_later(first, 5)
    store.close()
    assert on_disk(tmp_path / "s.sqlite3") == ([], 5)
