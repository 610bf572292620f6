"""Commands change the bot once, answer every time, and queue their result after the facts they caused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path

from candle_list import CandleList

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import CommandResult, Heartbeat, RequestStatus, StartBot, StatsUpdated, StatusChanged, StopBot
from tradewire_trader.candles import Candle
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.components import build_paper_trader
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.trader import Trader

Runner = Callable[[Trader, CandleList], Awaitable[None]]


def flat(price: str, ts: int = 0) -> Candle:
    return Candle(ts, D(price), D(price), D(price), D(price), D(1))


async def handler_for(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> tuple[CommandHandler, InMemoryPublisher]:
    settings = settings_for(tmp_path)
    publisher = InMemoryPublisher()
    trader = build_paper_trader(settings, StateStore(settings.state_path), publisher)
    trader.change_status("running", "started")
    return CommandHandler(trader, heartbeat_s=2.0), publisher


async def test_start_while_running_is_a_no_op_that_says_so(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner
) -> None:
    handler, publisher = await handler_for(tmp_path, settings_for)
    result = await handler.handle(StartBot(bot_id="demo", actor="alice"))
    await run_to_end(handler.trader, CandleList([]))
    assert (result.outcome, result.message) == ("completed", "demo is already running; nothing changed")
    assert [e.type for e in publisher.events()] == ["status_change", "command_result"]


async def test_stop_cancels_open_orders_and_publishes_the_status_before_the_result(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner
) -> None:
    handler, publisher = await handler_for(tmp_path, settings_for)
    trader = handler.trader
    await trader.on_candle(flat("42000"))
    await trader.exchange.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("40000"))
    result = await handler.handle(StopBot(bot_id="demo", actor="alice"))
    again = await handler.handle(StopBot(bot_id="demo", actor="bob"))
    await run_to_end(trader, CandleList([]))
    assert result.message == "demo stopped; 1 open order(s) canceled"
    assert again.message == "demo is already stopped; nothing changed"
    assert trader.exchange.balances.used["USDT"] == 0
    status, first_result = publisher.events()[-3:-1]
    assert isinstance(status, StatusChanged) and (status.status, status.actor) == ("stopped", "alice")
    assert isinstance(first_result, CommandResult) and first_result.command_id == result.command_id


async def test_a_stopped_bot_places_no_orders_until_started_again(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner
) -> None:
    handler, _ = await handler_for(tmp_path, settings_for)
    trader = handler.trader
    await handler.handle(StopBot(bot_id="demo", actor="alice"))
    rising = [flat(str(42000 + 100 * i), ts=i) for i in range(30)]
    falling_then_rising = [flat(str(45000 - 100 * i), ts=100 + i) for i in range(30)]
    await run_to_end(trader, CandleList(rising + falling_then_rising))
    assert trader.book.trades == 0
    result = await handler.handle(StartBot(bot_id="demo", actor="alice"))
    assert result.message == "demo started (was stopped)"
    for i in range(30):
        await trader.on_candle(flat(str(42000 + 100 * i), ts=200 + i))
    assert trader.book.trades == 1 and trader.book.position == D("0.01")


async def test_request_status_republishes_status_stats_heartbeat_and_price(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner
) -> None:
    handler, publisher = await handler_for(tmp_path, settings_for)
    await handler.trader.on_candle(flat("42000"))
    await run_to_end(handler.trader, CandleList([]))
    before = len(publisher.published)
    result = await handler.handle(RequestStatus(bot_id="demo", actor="alice"))
    await run_to_end(handler.trader, CandleList([]))
    fresh = publisher.events()[before:]
    assert {type(e) for e in fresh} >= {StatusChanged, StatsUpdated, Heartbeat, CommandResult}
    assert fresh[-1] == result.model_copy(update={"seq": fresh[-1].seq})
    assert result.message.startswith("demo is running: position 0 BTC, equity 10000 USDT, 0 trades")


async def test_halt_bot_cancels_every_open_order_on_the_exchange_books_partial_fills_and_stops(
    tmp_path: Path,
) -> None:
    from live_harness import Clock, LiveRun, settings_for_live

    from tradewire_schemas import HaltBot
    from tradewire_testing.binance_stub import BinanceStub
    from tradewire_trader.strategies import Intent

    stub = BinanceStub()
    await stub.start()
    run = await LiveRun.start(stub, settings_for_live(tmp_path, stub.url), Clock())
    try:
        run.strategy.intents.append(Intent("buy", D("0.02"), "test", D("41000")))
        await run.candle()
        ours = stub.account.orders[0]
        stub.account.fill(ours, D("0.005"))
        foreign = stub.account.place("BTCUSDT", "BUY", "LIMIT", D("0.001"), D("40000"), "by-hand-1")  # not ours
        result = await CommandHandler(run.trader, 5.0).handle(HaltBot(bot_id=run.trader.bot_id, actor="ops"))
        assert (result.outcome, result.message) == (
            "completed",
            f"{run.trader.bot_id} halted; 2 open order(s) canceled",
        )
        assert (ours.status, foreign.status) == ("CANCELED", "CANCELED")
        assert run.trader.status == "stopped" and not run.exchange.orders
        assert [t.amount for t in run.trades()] == [D("0.005")]
        run.assert_book_matches_account()
    finally:
        await run.close()
        await stub.stop()
