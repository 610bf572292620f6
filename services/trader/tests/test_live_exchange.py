"""Live mode, the real trader on ccxt against the real-format Binance stub: each of issue 13's failures.

Every test ends with the book checked against the stub's account to the last decimal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path

import ccxt
import pytest
from live_harness import Clock, LiveRun, settings_for_live
from prometheus_client import generate_latest

from tradewire_testing import free_port
from tradewire_testing.binance_stub import BACKEND_TIMEOUT, UNKNOWN_EXECUTION, BinanceStub, Fault
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.live_exchange import LiveExchange
from tradewire_trader.metrics import TraderMetrics
from tradewire_trader.strategies import Intent

ORDER = "POST /api/v3/order"
QUERY = "GET /api/v3/order"


@pytest.fixture
async def stub() -> AsyncIterator[BinanceStub]:
    server = BinanceStub()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def run(stub: BinanceStub, tmp_path: Path) -> AsyncIterator[LiveRun]:
    started = await LiveRun.start(stub, settings_for_live(tmp_path, stub.url), Clock())
    yield started
    await started.close()


def buy(amount: str, limit: str | None = None) -> Intent:
    return Intent("buy", D(amount), "test", None if limit is None else D(limit))


async def test_a_base_coin_fee_shrinks_the_position_and_the_exit_sells_what_the_account_holds(run: LiveRun) -> None:
    run.strategy.intents.extend([buy("0.01234"), None, "sell all"])
    await run.candle()  # buy 0.01234 BTC at 42000; Binance keeps 0.1 % of the coin received
    await run.candle()  # fills booked from myTrades
    [bought] = run.trades()
    assert (bought.amount, bought.fee, bought.fee_currency) == (D("0.01234"), D("0.00001234"), "BTC")
    assert bought.fee_quote == D("0.51828")  # reported in both coins: 0.00001234 BTC at 42000
    assert run.trader.book.position == D("0.01232766")
    run.assert_book_matches_account()
    await run.candle()  # "sell all": the engine sells what can be sold, rounded down to the lot size
    await run.candle()
    sold = run.trades()[-1]
    assert (sold.side, sold.amount, sold.fee_currency) == ("sell", D("0.01232"), "USDT")
    assert sold.fee == D("0.51744")  # 0.01232 x 42000 x 0.001, charged in the quote coin received
    assert run.trader.book.position == D("0.00000766")  # dust below the lot size stays, in book and account alike
    run.assert_book_matches_account()


async def test_a_fee_in_bnb_is_booked_in_bnb_and_valued_at_the_bnb_ticker(run: LiveRun, stub: BinanceStub) -> None:
    stub.account.fee_asset = "BNB"
    stub.account.free["BNB"] = D("1")
    await run.trader.exchange.refresh_balances()
    run.strategy.intents.extend([buy("0.01234"), None, "sell all"])
    await run.candle()
    await run.candle()
    [bought] = run.trades()
    # 518.28 USDT x 0.1 % = 0.51828 USDT of BNB at 600: 0.0008638 BNB
    assert (bought.fee, bought.fee_currency, bought.fee_quote) == (D("0.0008638"), "BNB", D("0.51828"))
    assert run.trader.book.cost_basis == D("518.28") + D("0.51828")
    assert run.trader.book.fees_paid == D("0.51828")  # in USDT, valued at the ticker
    stub.account.prices["BTCUSDT"] = D("43000.00")
    await run.candle()  # sell all 0.01234 at 43000
    await run.candle()
    sold = run.trades()[-1]
    # 530.62 USDT x 0.1 % = 0.53062 USDT of BNB at 600: 0.00088436 BNB (rounded down to 8 decimals)
    assert (sold.amount, sold.fee, sold.fee_currency) == (D("0.01234"), D("0.00088436"), "BNB")
    # proceeds 530.62, minus the sell's fee valued at 600 (0.530616), minus the basis 518.79828
    assert sold.realized_profit == D("530.62") - D("0.530616") - D("518.79828")
    assert stub.account.total("BNB") == D("1") - D("0.0008638") - D("0.00088436")
    run.assert_book_matches_account()


async def test_minus_1006_execution_status_unknown_is_looked_up_and_booked_once(
    run: LiveRun, stub: BinanceStub
) -> None:
    stub.fail(ORDER, Fault.error(*UNKNOWN_EXECUTION, after_effect=True))
    run.strategy.intents.extend([buy("0.01"), buy("0.01")])
    await run.candle()  # placed, but the answer is -1006 (ccxt: OperationFailed)
    [order] = run.exchange.orders.values()
    assert order.status == "unknown" and run.strategy.intents, "the strategy was asked while the order was unknown"
    await run.candle()  # found by client id: filled; booked; only then may the strategy decide again
    assert len(run.trades()) == 1 and stub.account.orders[0].client_id == order.client_id
    assert stub.count(ORDER) == 2  # the second buy, asked for after the first was booked
    await run.candle()
    assert [t.amount for t in run.trades()] == [D("0.01"), D("0.01")]
    run.assert_book_matches_account()


async def test_minus_1007_backend_timeout_is_looked_up_and_not_sent_again(run: LiveRun, stub: BinanceStub) -> None:
    stub.fail(ORDER, Fault.error(*BACKEND_TIMEOUT, after_effect=True))
    run.strategy.intents.append(buy("0.01"))
    await run.candle()
    await run.candle()
    assert stub.count(ORDER) == 1 and [t.amount for t in run.trades()] == [D("0.01")]
    run.assert_book_matches_account()


async def test_a_timeout_then_minus_2013_for_a_while_then_found_is_booked_once(run: LiveRun, stub: BinanceStub) -> None:
    stub.fail(ORDER, Fault(delay_s=2.0))  # placed; the answer comes after the client gave up (1 s)
    stub.hide_orders = 2  # and the order query does not see it yet, twice
    run.strategy.intents.extend([buy("0.01"), None])
    await run.candle()
    for _ in range(2):
        run.clock.advance(5)  # within the 60 s grace period
        await run.candle()
        assert run.trades() == [] and len(run.exchange.orders) == 1, "-2013 within the grace period is not 'no'"
    run.clock.advance(5)
    await run.candle()
    assert stub.count(ORDER) == 1 and stub.count(QUERY) >= 3
    assert [t.amount for t in run.trades()] == [D("0.01")]
    run.assert_book_matches_account()


async def test_lookups_back_off_and_only_the_end_of_the_grace_period_means_never_placed(
    run: LiveRun, stub: BinanceStub
) -> None:
    stub.fail(ORDER, Fault.dropped())  # the connection drops before the order reaches the account
    run.strategy.intents.append(buy("0.01"))
    await run.candle()
    await run.candle()  # first lookup: -2013
    queries = stub.count(QUERY)
    assert queries == 1 and len(run.exchange.orders) == 1
    await run.candle()  # the next lookup is not due yet (backoff): no request
    assert stub.count(QUERY) == queries
    run.clock.advance(61)
    await run.candle()  # -2013 after the grace period: it never reached the exchange
    assert not run.exchange.orders and stub.count(ORDER) == 1 and not stub.account.orders
    run.assert_book_matches_account()


async def test_lookups_that_cannot_reach_the_exchange_survive_a_restart_and_then_book_the_fill(
    stub: BinanceStub, tmp_path: Path
) -> None:
    settings = settings_for_live(tmp_path, stub.url)
    first = await LiveRun.start(stub, settings, Clock())
    stub.fail(ORDER, Fault.dropped(after_effect=True))
    first.strategy.intents.append(buy("0.01"))
    await first.candle()
    stub.fail(QUERY, Fault.unavailable(), Fault.error(500, -1001, "Internal error; unable to process your request."))
    for _ in range(2):
        first.clock.advance(5)
        await first.candle()  # lookups fail: trading goes on, and says so
    assert first.exchange.read_failures == 2
    assert "exchange reads failing" in first.statuses()[-1].reason
    metrics = TraderMetrics()
    metrics.watch(first.trader, CommandHandler(first.trader, 5.0))
    scraped = generate_latest(metrics.registry).decode()
    assert 'tradewire_trader_exchange_read_failures_total{bot="demo"} 2.0' in scraped
    assert 'tradewire_trader_exchange_reads_failing{bot="demo"} 1.0' in scraped
    await first.close()

    first.clock.advance(60)
    second = await LiveRun.start(stub, settings, first.clock)  # a new process on the same state file
    try:
        await second.candle()
        assert [t.amount for t in second.trades()] == [D("0.01")]
        assert stub.count(ORDER) == 1 and not second.exchange.orders
        assert "exchange reads work again" not in [s.reason for s in second.statuses()]  # never reported failing
        second.assert_book_matches_account()
    finally:
        await second.close()


async def test_partial_fills_are_booked_as_they_happen_and_on_cancel(run: LiveRun, stub: BinanceStub) -> None:
    run.strategy.intents.append(buy("0.02", limit="41000"))
    await run.candle()
    [stub_order] = stub.account.orders
    assert stub_order.status == "NEW"
    await run.candle()
    assert run.trades() == []  # resting: nothing filled yet
    stub.account.fill(stub_order, D("0.005"))
    await run.candle()
    stub.account.fill(stub_order, D("0.004"), D("40999.50"))
    await run.trader.cancel_open_orders()  # stop: the filled part is booked at the cancel, not later
    assert stub_order.status == "CANCELED"
    assert [(t.amount, t.price) for t in run.trades()] == [(D("0.005"), D("41000")), (D("0.004"), D("40999.5"))]
    assert not run.exchange.orders
    run.assert_book_matches_account()


async def test_a_limit_fills_fee_is_what_my_trades_reports(run: LiveRun, stub: BinanceStub) -> None:
    run.strategy.intents.append(buy("0.01", limit="41000"))
    await run.candle()
    [stub_order] = stub.account.orders
    trade = stub.account.fill(stub_order, D("0.01"))
    await run.candle()
    [booked] = run.trades()
    assert (booked.fee, booked.fee_currency) == (trade.commission, trade.commission_asset) == (D("0.00001"), "BTC")
    run.assert_book_matches_account()


async def test_429s_while_watching_an_order_pause_requests_for_retry_after_and_trading_goes_on(
    run: LiveRun, stub: BinanceStub
) -> None:
    run.strategy.intents.append(buy("0.02", limit="41000"))
    await run.candle()
    stub.fail(QUERY, Fault.rate_limited(retry_after_s=30), Fault.rate_limited(retry_after_s=30))
    await run.candle()
    requests = len(stub.requests)
    run.clock.advance(29)
    await run.candle()
    assert len(stub.requests) == requests, "a request before Retry-After ended"
    run.clock.advance(2)
    await run.candle()  # the second 429: another 30 s
    run.clock.advance(31)
    stub.account.fill(stub.account.orders[0], D("0.02"))
    await run.candle()
    assert run.trader.status == "running" and [t.amount for t in run.trades()] == [D("0.02")]
    run.assert_book_matches_account()


async def test_a_418_ban_is_never_retried_before_it_ends(run: LiveRun, stub: BinanceStub) -> None:
    run.strategy.intents.extend([buy("0.01", limit="41000"), buy("0.01")])
    await run.candle()
    stub.fail("*", Fault.banned(retry_after_s=120))
    await run.candle()
    requests = len(stub.requests)
    for _ in range(5):
        run.clock.advance(23)
        await run.candle()
    assert len(stub.requests) == requests  # 115 s: nothing sent, not even reads
    run.clock.advance(6)
    await run.candle()
    assert len(stub.requests) > requests and run.trader.status == "running"
    run.assert_book_matches_account()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.error(400, -1013, "Filter failure: LOT_SIZE"), ccxt.InvalidOrder),
        (Fault.error(400, -2010, "Account has insufficient balance for requested action."), ccxt.InsufficientFunds),
        (Fault.rate_limited(), ccxt.DDoSProtection),
    ],
)
async def test_a_clear_no_leaves_nothing_to_track(
    run: LiveRun, stub: BinanceStub, fault: Fault, error: type[Exception]
) -> None:
    stub.fail(ORDER, fault)
    with pytest.raises(error):
        await run.exchange.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert not run.exchange.orders and not stub.account.orders
    run.assert_book_matches_account()


@pytest.mark.parametrize("fault", [Fault.unavailable(after_effect=True), Fault.dropped(after_effect=True)])
async def test_a_5xx_or_dropped_connection_after_the_order_was_placed_is_found_and_booked(
    run: LiveRun, stub: BinanceStub, fault: Fault
) -> None:
    stub.fail(ORDER, fault)
    run.strategy.intents.append(buy("0.01"))
    await run.candle()
    await run.candle()
    assert stub.count(ORDER) == 1 and [t.amount for t in run.trades()] == [D("0.01")]
    run.assert_book_matches_account()


async def test_pre_trade_checks_refuse_an_order_below_the_minimum_value_without_sending_it(
    run: LiveRun, stub: BinanceStub
) -> None:
    await run.candle()
    with pytest.raises(ccxt.InvalidOrder, match="below the minimum 5"):
        await run.exchange.create_order("BTC/USDT", "market", "buy", D("0.0001"))  # 4.20 USDT
    assert stub.count(ORDER) == 0


async def test_client_order_ids_are_deterministic_and_saved_before_the_request(run: LiveRun, stub: BinanceStub) -> None:
    saved: list[dict[str, object]] = []
    save = run.exchange.checkpoint

    def checkpoint() -> None:
        save()
        saved.append(dict(run.store.load()["exchange"]["orders"]))  # type: ignore[index]

    run.exchange.checkpoint = checkpoint
    await run.candle()
    await run.exchange.create_order("BTC/USDT", "market", "buy", D("0.01"))
    [client_id] = saved[0]
    assert saved[0][client_id]["status"] == "pending"  # type: ignore[index]
    assert client_id == f"{run.exchange.prefix}1" and stub.account.orders[0].client_id == client_id


async def test_a_refused_connection_is_retried_then_reported(tmp_path: Path) -> None:
    with pytest.raises(ccxt.NetworkError):
        await LiveExchange.connect(settings_for_live(tmp_path, f"http://127.0.0.1:{free_port()}"))


async def test_the_stub_serves_binances_real_filters(run: LiveRun) -> None:
    market = run.exchange.client.markets["ETH/USDT"]
    assert market["limits"]["amount"]["min"] == 0.0001 and market["precision"]["amount"] == 0.0001
    assert run.exchange.rules.min_cost == D("5")


async def test_the_stubs_own_filters_refuse_a_limit_price_outside_the_percent_band(
    run: LiveRun, stub: BinanceStub
) -> None:
    await run.candle()
    with pytest.raises(ccxt.InvalidOrder, match="PERCENT_PRICE_BY_SIDE"):  # 5 x 42000 is the band's top for a buy
        await run.exchange.create_order("BTC/USDT", "limit", "buy", D("0.001"), D("210000.01"))
    assert stub.count(ORDER) == 1 and not stub.account.orders and not run.exchange.orders


async def test_a_market_order_that_fills_in_part_and_expires_is_booked_for_what_filled(
    run: LiveRun, stub: BinanceStub
) -> None:
    stub.account.market_fill = D("0.5")
    run.strategy.intents.extend([buy("0.02"), None])
    await run.candle()
    await run.candle()
    assert stub.account.orders[0].status == "EXPIRED"
    assert [t.amount for t in run.trades()] == [D("0.01")] and not run.exchange.orders
    run.assert_book_matches_account()


async def test_an_order_saved_by_the_previous_version_is_looked_up_not_lost(stub: BinanceStub, tmp_path: Path) -> None:
    settings = settings_for_live(tmp_path, stub.url)
    first = await LiveRun.start(stub, settings, Clock())
    order = await first.exchange.create_order("BTC/USDT", "market", "buy", D("0.01"))
    old_format = {"unknown:x": {"id": "unknown:x", "clientOrderId": order["clientOrderId"], "status": "open"}}
    first.store.save(first.trader.snapshot() | {"exchange": {"orders": old_format}})
    await first.close()
    second = await LiveRun.start(stub, settings, first.clock)
    try:
        assert [t.amount for t in second.trades()] == [D("0.01")]
        second.assert_book_matches_account()
    finally:
        await second.close()
