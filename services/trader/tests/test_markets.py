"""The committed markets fixture agrees with what ccxt parses from Binance's own exchangeInfo format."""

from __future__ import annotations

from decimal import Decimal as D

import ccxt
import pytest

from tradewire_testing.binance_stub import BinanceStub
from tradewire_trader.live_exchange import point_at
from tradewire_trader.markets import MarketRules


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
    with pytest.raises(ValueError, match=r"DOGE/USDT is not in the markets \(.*BTC/USDT"):
        MarketRules.from_fixture("DOGE/USDT")


def test_amounts_below_the_minimum_raise_invalid_order() -> None:
    with pytest.raises(ccxt.InvalidOrder):
        MarketRules.from_fixture("BTC/USDT").amount(D("0.000001"))
