"""Live mode against a local Binance stub: ccxt's real request building, parsing and error mapping run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal as D
from pathlib import Path

import ccxt
import pytest

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import TradeExecuted
from tradewire_testing import free_port
from tradewire_trader.binance_stub import BinanceStub
from tradewire_trader.candles import Candle
from tradewire_trader.live_exchange import LiveExchange
from tradewire_trader.outbox import Outbox
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Intent, build_strategy
from tradewire_trader.trader import Trader

SettingsFor = Callable[..., Settings]


@pytest.fixture
async def stub() -> AsyncIterator[BinanceStub]:
    server = BinanceStub()
    await server.start()
    yield server
    await server.stop()


def live_settings(settings_for: SettingsFor, tmp_path: Path, url: str, **extra: object) -> Settings:
    return settings_for(
        tmp_path,
        mode="live",
        api_key="key",
        api_secret="secret",
        api_url=url,
        retry_attempts=4,
        retry_delay_s=0.01,
        **extra,
    )


@pytest.fixture
async def live(stub: BinanceStub, tmp_path: Path, settings_for: SettingsFor) -> AsyncIterator[LiveExchange]:
    exchange = await LiveExchange.connect(live_settings(settings_for, tmp_path, stub.url))
    yield exchange
    await exchange.close()


def candle(price: str) -> Candle:
    return Candle(1_700_000_000_000, D(price), D(price), D(price), D(price), D(1))


async def test_connect_loads_market_rules_and_balances_from_binance_format(live: LiveExchange) -> None:
    assert (live.rules.min_amount, live.rules.min_cost) == (D("0.00001"), D("5"))
    assert live.balances.total("USDT") == D("10000") and live.balances.total("BTC") == 0


async def test_a_market_buy_is_filled_and_its_fee_and_balances_come_from_the_exchange(
    live: LiveExchange, stub: BinanceStub
) -> None:
    order = await live.create_order("BTC/USDT", "market", "buy", D("0.0123456"))
    assert order["status"] == "closed" and order["clientOrderId"].startswith("tw")
    [fill] = await live.settle(candle("42000"))
    # the stub fills 0.01234 (truncated to the lot size) at 42000: cost 518.28, fee 0.51828 USDT
    assert (fill.price, fill.amount, fill.fee, fill.fee_currency) == (D("42000"), D("0.01234"), D("0.51828"), "USDT")
    assert live.balances.total("BTC") == D("0.01234")
    assert live.balances.total("USDT") == D("10000") - D("518.28") - D("0.51828")
    assert not live.open_orders and await live.settle(candle("42000")) == []


async def test_insufficient_funds_from_binance_raise_ccxts_insufficient_funds(
    live: LiveExchange, stub: BinanceStub
) -> None:
    stub.insufficient_funds = True
    with pytest.raises(ccxt.InsufficientFunds, match="insufficient balance"):
        await live.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert not live.open_orders and not stub.orders


async def test_reads_are_retried_through_http_429(live: LiveExchange, stub: BinanceStub) -> None:
    stub.rate_limited_requests = 2
    stub.requests.clear()
    balance = await live.fetch_balance()
    assert balance["total"]["USDT"] == D("10000")
    assert stub.requests == ["GET /api/v3/account"] * 3


async def test_an_order_rejected_with_429_is_not_retried(live: LiveExchange, stub: BinanceStub) -> None:
    stub.rate_limited_requests = 1
    with pytest.raises(ccxt.DDoSProtection):
        await live.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert not stub.orders


async def test_after_a_timeout_the_order_is_looked_up_by_client_id_not_sent_again(
    stub: BinanceStub, tmp_path: Path, settings_for: SettingsFor
) -> None:
    exchange = await LiveExchange.connect(live_settings(settings_for, tmp_path, stub.url))
    try:
        exchange.client.timeout = 300  # ms
        stub.order_delay_s = 1.0
        stub.requests.clear()
        order = await exchange.create_order("BTC/USDT", "market", "buy", D("0.01"))
        assert stub.requests.count("POST /api/v3/order") == 1
        assert "GET /api/v3/order" in stub.requests
        assert list(stub.orders) == [order["clientOrderId"]]
        [fill] = await exchange.settle(candle("42000"))
        assert fill.amount == D("0.01")
    finally:
        await exchange.close()


async def test_a_refused_connection_is_retried_then_reported(tmp_path: Path, settings_for: SettingsFor) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ccxt.NetworkError):
        await LiveExchange.connect(live_settings(settings_for, tmp_path, nowhere))


async def test_the_engine_trades_live_and_publishes_live_trades(
    live: LiveExchange, tmp_path: Path, settings_for: SettingsFor
) -> None:
    settings = live_settings(settings_for, tmp_path, "unused")
    store, publisher = StateStore(settings.state_path), InMemoryPublisher()
    trader = Trader(
        bot_id="live",
        mode="live",
        exchange=live,
        strategy=build_strategy(settings),
        store=store,
        outbox=Outbox(store, publisher),
    )
    trader.status = "running"
    await trader.on_candle(candle("42000"))
    await trader.place(Intent("buy", D("0.01"), "test"))
    await trader.on_candle(candle("42100"))
    [trade] = [e for e in trader.store.trades() if isinstance(e, TradeExecuted)]
    assert (trade.mode, trade.side, trade.amount, trade.position) == ("live", "buy", D("0.01"), D("0.01"))
    store.close()


async def test_the_filled_part_of_an_order_canceled_on_the_exchange_is_booked(
    live: LiveExchange, stub: BinanceStub
) -> None:
    order = await live.create_order("BTC/USDT", "market", "buy", D("0.02"))
    stub.orders[order["clientOrderId"]] |= {"status": "CANCELED", "executedQty": "0.01", "cummulativeQuoteQty": "420"}
    live.open_orders[order["id"]] = {"id": order["id"], "status": "open"}  # as if restored after a restart
    [fill] = await live.settle(candle("42000"))
    # the order query reports no commission: booked at the market's taker rate (0.1 %) of 420
    assert (fill.amount, fill.price, fill.fee) == (D("0.01"), D("42000"), D("0.42"))
    assert not live.open_orders
