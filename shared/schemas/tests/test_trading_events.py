"""Version 2's trading facts: what a trade says about its market and its reason, candles, positions, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewire_schemas import (
    SCHEMA_VERSION,
    CandleClosed,
    ClosePosition,
    MarketLimits,
    MarketsLoaded,
    MarketTraded,
    OrderRefused,
    PositionsChanged,
    TradeExecuted,
    decode_command,
    decode_event,
    encode,
    events,
)

OPENED = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
V1_TRADE = {
    "type": "trade_executed", "v": 1, "bot_id": "alpha", "seq": 3, "ts": "2026-12-01T07:00:00Z", "mode": "paper",
    "side": "buy", "symbol": "BTC/USDT", "price": "42000", "amount": "0.01", "cost": "420", "fee": "0.42",
    "fee_currency": "USDT", "order_id": "paper-1", "position": "0.01", "balances": {"USDT": "9579.58"},
}  # fmt: skip


def an_exit(**changes: object) -> dict[str, object]:
    exit_ = {
        **V1_TRADE, "v": SCHEMA_VERSION, "side": "sell", "realized_profit": "-8.4", "realized_profit_pct": "-2",
        "market_time": "2023-03-01T13:30:00Z", "order_type": "market", "liquidity": "taker", "reason": "stoploss",
        "tag": "stop at -2%", "entry": {"price": "42000", "market_time": "2023-03-01T12:00:00Z", "duration_s": 5400},
    }  # fmt: skip
    exit_.update(changes)
    return exit_


def test_a_version_1_trade_still_reads_with_the_new_fields_empty() -> None:
    trade = decode_event(json.dumps(V1_TRADE))
    assert isinstance(trade, TradeExecuted)
    assert (trade.market_time, trade.order_type, trade.reason, trade.entry) == (None, None, None, None)


def test_an_exit_says_its_market_time_reason_and_the_entry_it_closed() -> None:
    trade = decode_event(json.dumps(an_exit()))
    assert isinstance(trade, TradeExecuted) and trade.entry is not None
    assert trade.market_time == datetime(2023, 3, 1, 13, 30, tzinfo=UTC)
    assert (trade.reason, trade.liquidity, trade.order_type) == ("stoploss", "taker", "market")
    assert trade.entry.duration_s == 5400 and trade.entry.market_time == OPENED


def test_an_old_reader_drops_what_a_newer_writer_added_and_reads_the_rest() -> None:
    newer = an_exit(v=SCHEMA_VERSION + 1, venue_latency_ms=12)
    trade = decode_event(json.dumps(newer))
    assert isinstance(trade, TradeExecuted) and trade.reason == "stoploss"


def test_a_reason_is_a_short_word_so_new_reasons_stay_readable_text() -> None:
    assert decode_event(json.dumps(an_exit(reason="liquidation"))).reason == "liquidation"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="reason"):
        decode_event(json.dumps(an_exit(reason="Stop Loss!")))


def test_a_candle_carries_its_plot_series_and_null_while_warming_up() -> None:
    candle = CandleClosed(
        bot_id="alpha", symbol="BTC/USDT", timeframe="1m", open_time=OPENED, open="1", high="2", low="0.5",
        close="1.5", volume="10", plots={"sma_fast": 1.25, "sma_slow": None},
    )  # fmt: skip
    wire = json.loads(encode(candle))
    assert wire["plots"] == {"sma_fast": 1.25, "sma_slow": None} and wire["close"] == "1.5"
    assert decode_event(encode(candle)) == candle
    with pytest.raises(ValidationError):
        candle.model_validate({**wire, "plots": {"sma": float("nan")}})
    with pytest.raises(ValidationError, match="timeframe"):
        candle.model_validate({**wire, "timeframe": "one minute"})


def test_positions_list_every_open_one_and_empty_means_flat() -> None:
    change = PositionsChanged(
        bot_id="alpha",
        positions=[
            {"symbol": "BTC/USDT", "amount": "0.01", "entry_price": "42000", "entry_time": OPENED, "stoploss": "41160"}
        ],  # type: ignore[list-item]
    )
    decoded = decode_event(encode(change))
    assert isinstance(decoded, PositionsChanged) and decoded.positions[0].take_profit is None
    assert PositionsChanged(bot_id="alpha", positions=[]).positions == []


def test_a_refused_order_names_the_limit_it_broke() -> None:
    refused = OrderRefused(
        bot_id="alpha", symbol="SOL/USDT", side="buy", order_type="market", amount="0.01", price="150",
        reason="order value 1.5 USDT is below the minimum 5", limits={"min_cost": "5"},  # type: ignore[arg-type]
    )  # fmt: skip
    decoded = decode_event(encode(refused))
    assert isinstance(decoded, OrderRefused) and decoded.limits is not None
    assert str(decoded.limits.min_cost) == "5" and decoded.refusals_in_a_row == 1


def test_close_position_names_a_market_or_none_for_all() -> None:
    one = ClosePosition(bot_id="alpha", actor="ops", symbol="ETH/USDT")
    assert decode_command(encode(one)) == one
    assert ClosePosition(bot_id="alpha", actor="ops").symbol is None
    with pytest.raises(ValidationError, match="symbol"):
        ClosePosition(bot_id="alpha", actor="ops", symbol="eth-usdt")


def test_markets_loaded_carries_each_markets_precision_and_limits() -> None:
    described = MarketsLoaded(
        bot_id="alpha",
        markets=[
            MarketTraded(
                symbol="ETH/USDT", base="ETH", quote="USDT", price_tick=Decimal("0.01"),
                amount_step=Decimal("0.0001"), limits=MarketLimits(min_amount=Decimal("0.0001"), min_cost=Decimal(5)),
            )
        ],
    )  # fmt: skip
    decoded = events.validate_json(described.model_dump_json())
    assert isinstance(decoded, MarketsLoaded) and decoded.markets[0].price_tick == Decimal("0.01")
    assert decoded.markets[0].limits.min_cost == Decimal(5) and MarketsLoaded.state_field == "markets"
