"""The committed markets fixture agrees with what ccxt parses from Binance's own exchangeInfo format."""

from __future__ import annotations

from decimal import Decimal as D

import ccxt
import pytest

from tradewire_testing.binance_stub import BinanceStub
from tradewire_trader import markets_file
from tradewire_trader.live_client import point_at
from tradewire_trader.markets import MarketRules, fixture_markets


async def test_fixture_rules_match_ccxts_parse_of_binance_exchange_info() -> None:
    import ccxt.async_support as ccxt_async

    stub = BinanceStub()
    await stub.start()
    client = ccxt_async.binance({"options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False}})
    point_at(client, stub.url)
    try:
        await client.load_markets()
    finally:
        await client.close()
        await stub.stop()
    for symbol in ("BTC/USDT", "ETH/USDT"):
        parsed, fixture = MarketRules(client, symbol), MarketRules.from_fixture(symbol)
        assert parsed.min_cost == fixture.min_cost
        assert parsed.price(D("42000.123")) == fixture.price(D("42000.123"))
    btc_parsed, btc_fixture = MarketRules(client, "BTC/USDT"), MarketRules.from_fixture("BTC/USDT")
    assert btc_parsed.amount(D("0.123456789")) == btc_fixture.amount(D("0.123456789")) == D("0.12345")


def test_unknown_symbols_are_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(ValueError, match=r"PEPE/USDT is not a known market: the markets file has .*DOGE/USDT"):
        MarketRules.from_fixture("PEPE/USDT")


def test_the_shipped_markets_file_is_ccxts_parse_of_its_recorded_source() -> None:
    assert markets_file.main(["--check"]) == 0, "run python -m tradewire_trader.markets_file"
    symbols = [market["symbol"] for market in fixture_markets()]
    assert len(symbols) >= 8 and {"BTC/USDT", "ETH/USDT", "DOGE/USDT", "XRP/USDT"} <= set(symbols)


def test_each_market_rounds_and_limits_by_its_own_precision() -> None:
    doge, xrp, ada = (MarketRules.from_fixture(s) for s in ("DOGE/USDT", "XRP/USDT", "ADA/USDT"))
    assert doge.amount(D("123.9")) == D("123") and doge.price_tick == D("0.00001") and doge.base == "DOGE"
    assert ada.amount(D("10.19")) == D("10.1") and ada.price(D("0.123456")) == D("0.1235")
    with pytest.raises(ccxt.InvalidOrder, match="XRP/USDT must be greater than minimum amount precision of 1"):
        xrp.amount(D("0.5"))
    with pytest.raises(ccxt.InvalidOrder, match="outside the market's limits"):
        xrp.limit_price(D("20000"))
    with pytest.raises(ccxt.InvalidOrder, match="above the maximum 9000000"):
        doge.check_cost(D("9000001"), D("0.1"))


def test_amounts_below_the_minimum_raise_invalid_order() -> None:
    with pytest.raises(ccxt.InvalidOrder):
        MarketRules.from_fixture("BTC/USDT").amount(D("0.000001"))
