"""Hand-computed fills, fees and reservations on the paper exchange."""

from __future__ import annotations

from decimal import Decimal as D

import ccxt
import pytest

from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances
from tradewire_trader.paper_exchange import PaperExchange


def exchange(usdt: str = "10000", btc: str = "0", **model: D) -> PaperExchange:
    """Flat slippage and no volume cap unless a test asks: the hand-computed figures below stay simple."""
    return PaperExchange(
        MarketRules.from_fixture("BTC/USDT"),
        Balances(free={"USDT": D(usdt), "BTC": D(btc)}),
        taker_fee=D("0.001"),
        maker_fee=D("0.0005"),
        slippage=D("0.0005"),
        **{"impact": D(0), "volume_share": D(0), **model},  # type: ignore[arg-type]
    )


def candle(o: str, h: str, low: str, c: str, ts: int = 0) -> Candle:
    return Candle(ts, D(o), D(h), D(low), D(c), D("1"))


async def test_market_buy_fills_at_next_open_plus_slippage_with_taker_fee() -> None:
    paper = exchange()
    paper.match(candle("41900", "42100", "41800", "42000"))
    order = await paper.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert order["status"] == "open"
    [fill] = paper.match(candle("42000", "42500", "41900", "42400", ts=60_000))
    # 42000 x 1.0005 = 42021.00; cost 0.01 x 42021 = 420.21; fee 420.21 x 0.001 = 0.42021
    assert (fill.price, fill.cost, fill.fee, fill.taker) == (D("42021.00"), D("420.21"), D("0.42021"), True)
    assert paper.balances.free == {"USDT": D("9579.36979"), "BTC": D("0.01")}
    assert paper.balances.used == {"USDT": D(0)}


async def test_market_sell_fills_below_next_open_by_the_slippage() -> None:
    paper = exchange(usdt="0", btc="0.5")
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "sell", D("0.5"))
    [fill] = paper.match(candle("40000", "40100", "39900", "40000"))
    # 40000 x 0.9995 = 39980.00 (inside the candle's 39900-40100); cost 19990; fee 19.99; proceeds 19970.01
    assert (fill.price, fill.cost, fill.fee) == (D("39980.00"), D("19990.0000"), D("19.990000000"))
    assert paper.balances.total("USDT") == D("19970.01")
    assert paper.balances.total("BTC") == 0


async def test_limit_buy_waits_until_the_price_crosses_and_fills_at_the_limit_with_maker_fee() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    order = await paper.create_order("BTC/USDT", "limit", "buy", D("0.1"), D("41000"))
    # held while open: 0.1 x 41000 x 1.0005 (maker fee) = 4102.05
    assert paper.balances.used["USDT"] == D("4102.05")
    assert paper.balances.free["USDT"] == D("5897.95")
    assert paper.match(candle("42000", "42200", "41001", "41500")) == []
    [fill] = paper.match(candle("41500", "41600", "40800", "40900"))
    assert (fill.order_id, fill.price, fill.fee, fill.taker) == (order["id"], D("41000"), D("2.05"), False)
    assert paper.balances.total("USDT") == D("10000") - D("4100") - D("2.05")
    assert paper.balances.used["USDT"] == 0


async def test_limit_sell_fills_when_the_high_reaches_it() -> None:
    paper = exchange(usdt="0", btc="1")
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "limit", "sell", D("1"), D("43000"))
    assert paper.balances.used["BTC"] == D("1")
    [fill] = paper.match(candle("42500", "43000", "42400", "42900"))
    assert (fill.price, fill.fee) == (D("43000"), D("21.5"))
    assert paper.balances.total("USDT") == D("42978.5")


async def test_buying_more_than_the_free_quote_raises_ccxt_insufficient_funds() -> None:
    paper = exchange(usdt="100")
    paper.match(candle("42000", "42000", "42000", "42000"))
    with pytest.raises(ccxt.InsufficientFunds):
        await paper.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert paper.balances.free["USDT"] == D("100") and not paper.open_orders


async def test_reserved_funds_cannot_be_spent_twice() -> None:
    paper = exchange(usdt="500")
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("40000"))
    with pytest.raises(ccxt.InsufficientFunds):
        await paper.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("40000"))


async def test_selling_more_than_held_raises_insufficient_funds() -> None:
    paper = exchange(btc="0.01")
    paper.match(candle("42000", "42000", "42000", "42000"))
    with pytest.raises(ccxt.InsufficientFunds):
        await paper.create_order("BTC/USDT", "market", "sell", D("0.02"))


@pytest.mark.parametrize(
    ("amount", "price"),
    [(D("0.000001"), None), (D("0.0001"), None), (D("0.01"), D("-1"))],
    ids=["below-amount-precision", "below-minimum-cost", "negative-limit"],
)
async def test_orders_outside_the_market_rules_raise_ccxt_invalid_order(amount: D, price: D | None) -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    with pytest.raises(ccxt.InvalidOrder):
        await paper.create_order("BTC/USDT", "limit" if price is not None else "market", "buy", amount, price)


async def test_amounts_are_truncated_to_the_market_precision() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    order = await paper.create_order("BTC/USDT", "market", "buy", D("0.0123456"))
    assert order["amount"] == D("0.01234")


async def test_canceling_releases_the_reservation() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    order = await paper.create_order("BTC/USDT", "limit", "buy", D("0.1"), D("41000"))
    canceled = await paper.cancel_order(order["id"])
    assert canceled["status"] == "canceled"
    assert paper.balances.free["USDT"] == D("10000") and paper.balances.used["USDT"] == 0
    with pytest.raises(ccxt.OrderNotFound):
        await paper.cancel_order(order["id"])


async def test_a_market_buy_the_market_gapped_past_is_rejected_without_touching_balances() -> None:
    paper = exchange(usdt="425", max_slippage=D("0.0005"))  # holds 0.01 x 42000 x 1.0005 x 1.001 = 420.63
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "buy", D("0.01"))
    assert paper.match(candle("50000", "50000", "50000", "50000")) == []
    assert paper.balances.free["USDT"] == D("425") and not paper.open_orders
    [refused] = paper.take_rejections()  # kept for the engine to publish: never silent
    assert refused.status == "rejected" and "needs 500.50000 USDT at 50000" in refused.reason


async def test_orders_are_ccxt_shaped_and_hold_their_funds() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    order = await paper.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("41000"), {"clientOrderId": "abc"})
    assert {
        "id",
        "clientOrderId",
        "symbol",
        "type",
        "side",
        "price",
        "amount",
        "filled",
        "remaining",
        "status",
        "fee",
        "timestamp",
        "datetime",
    } <= order.keys()
    assert order["clientOrderId"] == "abc"
    assert paper.balances.used["USDT"] == D("410.205") and paper.balances.total("USDT") == D("10000")
    assert list(paper.open_orders) == [order["id"]]


async def test_state_round_trips_through_json() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("41000"))
    twin = exchange(usdt="1")
    twin.restore(paper.state())
    assert twin.balances == paper.balances and twin.open_orders == paper.open_orders
    assert (twin.next_order_number, twin.last_price) == (2, D("42000"))


async def test_with_fee_side_get_fees_are_charged_in_the_coin_received_as_binance_does() -> None:
    from tradewire_trader.accounting import Book

    paper = exchange()
    paper.fee_side = "get"
    book = Book()
    paper.match(candle("41900", "42100", "41800", "42000"))
    await paper.create_order("BTC/USDT", "market", "buy", D("0.01234"))
    [bought] = paper.match(candle("42000", "42500", "41900", "42400", ts=60_000))
    # the buy's fee is 0.1 % of the 0.01234 BTC received: 0.00001234 BTC; the quote pays only the cost
    assert (bought.fee, bought.fee_currency) == (D("0.00001234"), "BTC")
    assert paper.balances.total("BTC") == D("0.01232766")
    assert paper.balances.total("USDT") == D("10000") - D("42021.00") * D("0.01234")
    book.apply(bought)
    await paper.create_order("BTC/USDT", "market", "sell", D("0.01232"))
    [sold] = paper.match(candle("42400", "42500", "42300", "42400", ts=120_000))
    # the sell's fee is in the USDT received: 0.01232 x 42378.80 x 0.001 = 0.52210681 (rounded down)
    assert (sold.fee, sold.fee_currency) == (D("0.52210681"), "USDT")
    book.apply(sold)
    assert book.position == paper.balances.total("BTC") == D("0.00000766")


async def test_a_market_fill_never_leaves_the_candles_range() -> None:
    paper = exchange(usdt="0", btc="0.5")
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "sell", D("0.5"))
    [fill] = paper.match(candle("40000", "40000", "40000", "40000"))  # no room below the open: no slippage
    assert fill.price == D("40000")


async def test_slippage_grows_with_the_share_of_the_candles_volume_up_to_its_cap() -> None:
    paper = exchange(impact=D("0.05"), max_slippage=D("0.003"))
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "buy", D("0.1"))
    [small] = paper.match(Candle(60_000, D(42000), D(43000), D(41000), D(42000), D(10)))
    # 1 % of the volume: 0.0005 + 0.05 x 0.01 = 0.001 -> 42042
    assert small.price == D("42042.00")
    await paper.create_order("BTC/USDT", "market", "buy", D("0.1"))
    [big] = paper.match(Candle(120_000, D(42000), D(43000), D(41000), D(42000), D("0.5")))
    # 20 % of the volume: 0.0005 + 0.01 = 0.0105, capped at 0.003 -> 42126
    assert big.price == D("42126.00")


async def test_an_order_too_big_for_the_candle_fills_in_parts() -> None:
    paper = exchange(usdt="200000", impact=D("0.05"), volume_share=D("0.25"))
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "buy", D("3"))
    fills = []
    for minute in range(1, 5):
        fills += paper.match(Candle(minute * 60_000, D(42000), D(43000), D(41000), D(42000), D(4)))
    # a quarter of each candle's 4 BTC: 1 + 1 + 1, then nothing is left open
    assert [f.amount for f in fills] == [D(1), D(1), D(1)] and not paper.open_orders
    assert all(f.price == D("42000") * (1 + D("0.0005") + D("0.05") * D("0.25")) for f in fills)
    assert paper.balances.total("BTC") == D(3) and paper.balances.used["USDT"] == 0


async def test_a_marketable_limit_takes_at_market_with_the_taker_fee_but_never_beyond_its_limit() -> None:
    paper = exchange()
    paper.match(candle("42000", "42000", "42000", "42000"))
    order = await paper.create_order("BTC/USDT", "limit", "buy", D("0.01"), D("42010"))  # above the last price
    [fill] = paper.match(candle("42000", "42100", "41900", "42050", ts=60_000))
    # at market 42000 x 1.0005 = 42021, but the limit is 42010: it takes at 42010, as a taker
    assert (fill.price, fill.taker, fill.fee) == (D("42010"), True, D("42010") * D("0.01") * D("0.001"))
    assert order["id"] == fill.order_id


async def test_limits_are_checked_again_at_the_fill_price() -> None:
    paper = exchange(usdt="0", btc="0.00013")
    paper.match(candle("42000", "42000", "42000", "42000"))
    await paper.create_order("BTC/USDT", "market", "sell", D("0.00013"))  # 5.46 USDT at 42000: accepted
    assert paper.match(candle("38000", "38000", "38000", "38000")) == []  # 4.94 USDT at the fill: refused
    [refused] = paper.take_rejections()
    assert "below the minimum 5" in refused.reason and paper.balances.total("BTC") == D("0.00013")
