"""The engine end to end in memory: profit recomputed from the published trades, restarts, invariants."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path

import pytest
from candle_list import CandleList
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import Envelope, Event, PriceUpdated, StatsUpdated, TradeExecuted
from tradewire_trader.candles import Candle
from tradewire_trader.components import build_paper_trader
from tradewire_trader.market_data import read_ohlcv_csv, sample_csv
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.synthetic import synthetic_series
from tradewire_trader.trader import Trader

Runner = Callable[[Trader, CandleList], Awaitable[None]]
SettingsFor = Callable[..., Settings]


def published_trades(publisher: InMemoryPublisher) -> list[TradeExecuted]:
    return [e for e in publisher.events() if isinstance(e, TradeExecuted)]


def recompute(trades: list[TradeExecuted]) -> tuple[D, D, int, int]:
    """Profit per round trip from the wire facts alone: everything a sell closes was bought since flat."""
    realized, fees, wins, losses = D(0), D(0), 0, 0
    spent = D(0)
    for trade in trades:
        fees += trade.fee
        if trade.side == "buy":
            spent += trade.cost + trade.fee
            continue
        assert trade.position == 0, "the shipped strategies always sell the whole position"
        profit = trade.cost - trade.fee - spent
        assert trade.realized_profit == profit
        realized += profit
        wins, losses = (wins + 1, losses) if profit > 0 else (wins, losses + 1)
        spent = D(0)
    return realized, fees, wins, losses


async def test_profit_recomputed_from_published_trades_equals_the_published_stats(
    tmp_path: Path, settings_for: SettingsFor, run_to_end: Runner
) -> None:
    settings_ = settings_for(tmp_path)
    store, publisher = StateStore(settings_.state_path), InMemoryPublisher()
    trader = build_paper_trader(settings_, store, publisher)
    trader.status = "running"
    await run_to_end(trader, CandleList(list(read_ohlcv_csv(sample_csv()))))
    trader.publish_stats()
    await run_to_end(trader, CandleList([]))
    trades = published_trades(publisher)
    assert len(trades) >= 20
    stats = [e for e in publisher.events() if isinstance(e, StatsUpdated)][-1]
    realized, fees, wins, losses = recompute(trades)
    assert (stats.realized_profit, stats.fees_paid, stats.wins, stats.losses) == (realized, fees, wins, losses)
    assert stats.trades == len(trades)
    last = trader.exchange.last_price
    assert last is not None
    balances = trades[-1].balances
    assert stats.equity == balances["USDT"] + balances.get("BTC", D(0)) * last
    assert store.trades() == [t.model_copy(update={"seq": 0}) for t in trades]


async def test_prices_are_published_every_n_iterations(
    tmp_path: Path, settings_for: SettingsFor, run_to_end: Runner
) -> None:
    settings_ = settings_for(tmp_path, price_every=7)
    publisher = InMemoryPublisher()
    trader = build_paper_trader(settings_, StateStore(settings_.state_path), publisher)
    candles = list(itertools.islice(synthetic_series(1, D(100), 60), 50))
    drainer = asyncio.create_task(trader.outbox.run())
    for candle in candles:  # one at a time, as when paced: nothing to conflate
        await trader.on_candle(candle)
        assert await trader.outbox.flush(5)
    drainer.cancel()
    prices = [e for e in publisher.events() if isinstance(e, PriceUpdated)]
    assert [p.iteration for p in prices] == [7, 14, 21, 28, 35, 42, 49]
    assert prices[-1].last == candles[48].close


async def test_a_trader_resumed_from_its_state_file_trades_as_if_never_interrupted(
    tmp_path: Path, settings_for: SettingsFor, run_to_end: Runner
) -> None:
    candles = list(itertools.islice(synthetic_series(11, D(42000), 60), 1500))
    reference_settings = settings_for(tmp_path / "a")
    reference = InMemoryPublisher()
    trader = build_paper_trader(reference_settings, StateStore(reference_settings.state_path), reference)
    trader.status = "running"
    await run_to_end(trader, CandleList(candles))

    crashed_settings = settings_for(tmp_path / "b")
    publisher = InMemoryPublisher()
    for end in (400, 401, 977, None):  # each run ends abruptly, without a clean shutdown
        store = StateStore(crashed_settings.state_path)
        trader = build_paper_trader(crashed_settings, store, publisher)
        trader.restore()
        trader.status = "running"
        await run_to_end(trader, CandleList(candles, end))
        store.close()
    fields = ("side", "price", "amount", "fee", "realized_profit", "position")
    assert [[getattr(t, f) for f in fields] for t in published_trades(publisher)] == [
        [getattr(t, f) for f in fields] for t in published_trades(reference)
    ]


closes = st.lists(st.integers(min_value=50, max_value=150), min_size=30, max_size=120)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    prices=closes,
    strategy=st.sampled_from(["sma_crossover", "rsi_reversion"]),
    order_size=st.sampled_from([D("0.05"), D("0.5"), D("5"), D("50")]),
    starting_quote=st.sampled_from([D("10"), D("100"), D("1000")]),
)
def test_balances_never_go_negative_and_equity_is_cash_plus_position_at_the_price(
    settings_for: SettingsFor, prices: list[int], strategy: str, order_size: D, starting_quote: D
) -> None:
    candles = [
        Candle(i * 60_000, D(a), D(max(a, b)) + 1, D(min(a, b)) - 1, D(b), D(1))
        for i, (a, b) in enumerate(itertools.pairwise(prices))
    ]
    with tempfile.TemporaryDirectory() as folder:
        settings_ = settings_for(
            Path(folder),
            symbol="SOL/USDT",
            strategy=strategy,
            order_size=order_size,
            fast=2,
            slow=4,
            rsi_period=3,
            starting_quote=starting_quote,
        )
        store = StateStore(settings_.state_path)
        trader = build_paper_trader(settings_, store, InMemoryPublisher())
        trader.status = "running"

        async def check_each_candle() -> None:
            for candle in candles:
                await trader.on_candle(candle)
                balances = trader.exchange.balances
                assert all(v >= 0 for v in (*balances.free.values(), *balances.used.values())), balances
                cash, position = balances.total("USDT"), balances.total("SOL")
                assert position == trader.book.position
                assert trader.stats_event().equity == cash + position * candle.close

        asyncio.run(check_each_candle())
        target(float(trader.book.trades), label="trades")  # steer towards paths that trade a lot
        store.close()


class StuckPublisher(InMemoryPublisher):
    """A bus that never answers, like Redis hanging mid-request."""

    async def publish(self, event: Event) -> Envelope:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_hanging_bus_never_blocks_trading_and_new_orders_pause_at_the_outbox_limit(
    tmp_path: Path, settings_for: SettingsFor
) -> None:
    candles = list(itertools.islice(synthetic_series(11, D(42000), 60), 3000))
    settings = settings_for(tmp_path, outbox_limit=9)
    store = StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, StuckPublisher())
    trader.change_status("running", "started")
    drainer = asyncio.create_task(trader.outbox.run())
    try:
        await asyncio.wait_for(trader.run(CandleList(candles)), 30)
    finally:
        drainer.cancel()
    assert trader.iteration == 3000, "every candle was processed although nothing could be published"
    # the status change plus 8 trades (4 round trips) fill the limit of 9; no order is placed after that
    assert len(store.trades()) == 8 and trader.book.position == 0 and not trader.exchange.open_orders
    assert trader.outbox.durable_backlog == 1 + len(store.trades())
    assert len(store.pending()) == trader.outbox.durable_backlog


async def test_a_state_file_of_another_bot_is_refused_naming_both(
    tmp_path: Path, settings_for: SettingsFor, run_to_end: Runner
) -> None:
    btc = settings_for(tmp_path)
    store = StateStore(btc.state_path)
    trader = build_paper_trader(btc, store, InMemoryPublisher())
    trader.status = "running"
    await run_to_end(trader, CandleList(list(itertools.islice(synthetic_series(1, D(42000), 60), 30))))
    store.close()
    eth = settings_for(tmp_path, symbol="ETH/USDT", strategy="rsi_reversion")
    store = StateStore(eth.state_path)
    other = build_paper_trader(eth, store, InMemoryPublisher())
    with pytest.raises(ValueError) as refused:
        other.restore()
    message = str(refused.value)
    assert "belongs to bot_id demo, symbol BTC/USDT, strategy sma_crossover, exchange paper" in message
    assert "not to bot_id demo, symbol ETH/USDT, strategy rsi_reversion, exchange paper" in message
    store.close()
    same = StateStore(btc.state_path)
    assert build_paper_trader(btc, same, InMemoryPublisher()).restore()  # its own bot reads it as before
    same.close()
