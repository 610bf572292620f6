"""Reconciliation after a restart and on a schedule: what the book missed is booked once; the rest stops orders."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path

import pytest
from live_harness import Clock, LiveRun, settings_for_live

from tradewire_testing import eventually
from tradewire_testing.binance_stub import BinanceStub, Fault
from tradewire_trader.strategies import Intent

ORDER = "POST /api/v3/order"


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file in WAL mode (its recent commits live in the -wal file)."""
    for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@pytest.fixture
async def stub() -> AsyncIterator[BinanceStub]:
    server = BinanceStub()
    await server.start()
    yield server
    await server.stop()


async def test_a_fill_not_saved_before_a_crash_is_found_and_booked_at_the_next_start(
    stub: BinanceStub, tmp_path: Path
) -> None:
    settings, clock = settings_for_live(tmp_path, stub.url), Clock()
    first = await LiveRun.start(stub, settings, clock)
    stub.fail(ORDER, Fault(delay_s=3))  # the order fills at once; its answer would come later
    first.strategy.intents.append(Intent("buy", D("0.01"), "test"))
    crashing = asyncio.create_task(first.candle())
    await eventually(lambda: stub.account.orders, what="the order on the exchange")
    crashing.cancel()  # the process dies mid-request: nothing after this is written
    with pytest.raises(asyncio.CancelledError):
        await crashing
    assert first.trader.book.position == 0 and stub.account.total("BTC") == D("0.00999")
    await first.close()

    second = await LiveRun.start(stub, settings, clock)  # reconciliation runs before the first candle
    try:
        assert [t.amount for t in second.trades()] == [D("0.01")]
        assert stub.count(ORDER) == 1
        second.assert_book_matches_account()
        await second.candle()
        assert len(second.trades()) == 1, "booked twice"
    finally:
        await second.close()


async def test_an_order_of_ours_missing_from_an_old_state_file_is_adopted_and_its_client_id_not_reused(
    stub: BinanceStub, tmp_path: Path
) -> None:
    settings, clock = settings_for_live(tmp_path, stub.url), Clock()
    run = await LiveRun.start(stub, settings, clock)
    run.strategy.intents.extend([Intent("buy", D("0.01"), "one"), None])
    await run.candle()
    await run.candle()
    copy_database(settings.state_path, tmp_path / "old.sqlite3")  # a backup taken here
    run.strategy.intents.extend([Intent("buy", D("0.02"), "two"), None])
    await run.candle()
    await run.candle()
    await run.close()
    copy_database(tmp_path / "old.sqlite3", settings.state_path)  # ... and restored: it knows only the first buy

    restored = await LiveRun.start(stub, settings, clock)
    try:
        assert [t.amount for t in restored.trades()] == [D("0.01"), D("0.02")]
        restored.assert_book_matches_account()
        restored.strategy.intents.append(Intent("buy", D("0.01"), "three"))
        await restored.candle()
        assert [o.client_id for o in stub.account.orders] == [f"{restored.exchange.prefix}{n}" for n in (1, 2, 3)]
    finally:
        await restored.close()


async def test_a_difference_nothing_explains_stops_new_orders_and_is_reported_with_the_figures(
    stub: BinanceStub, tmp_path: Path
) -> None:
    settings = settings_for_live(tmp_path, stub.url)
    run = await LiveRun.start(stub, settings, Clock())
    try:
        stub.account.free["BTC"] += D("0.5")  # coins that arrived by hand, not through an order of ours
        await run.trader.reconcile()
        assert run.trader.status == "stopped"
        assert run.trader.reconcile_difference == D("0.5")
        assert "the exchange holds 0.5 BTC, the book 0" in run.statuses()[-1].reason
        run.strategy.intents.append(Intent("buy", D("0.01"), "test"))
        await run.candle()
        assert stub.count(ORDER) == 0, "an order was sent while the books disagree"
    finally:
        await run.close()


async def test_reconciliation_also_runs_on_its_schedule_while_trading(stub: BinanceStub, tmp_path: Path) -> None:
    settings = settings_for_live(tmp_path, stub.url)
    run = await LiveRun.start(stub, settings, Clock(), reconcile_every_s=0)  # due on every candle
    try:
        await run.candle()
        assert run.trader.status == "running"
        stub.account.free["BTC"] += D("0.25")
        await run.candle()
        assert run.trader.status == "stopped" and run.trader.reconcile_difference == D("0.25")
    finally:
        await run.close()
