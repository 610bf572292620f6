"""Hypothesis strategies that build every message type with arbitrary valid contents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from tradewire_schemas import (
    TRADE_REASONS,
    CandleClosed,
    ClosePosition,
    CommandBase,
    CommandResult,
    Heartbeat,
    MarketLimits,
    MarketsLoaded,
    MarketTraded,
    OpenPosition,
    OrderRefused,
    PositionsChanged,
    PriceUpdated,
    RequestStatus,
    StartBot,
    StatsUpdated,
    StatusChanged,
    StopBot,
    TradeEntry,
    TradeExecuted,
)

bot_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=8
)
positive = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal(0), max_value=Decimal("1e12"), places=8)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
symbols = st.sampled_from(["BTC/USDT", "ETH/USDT", "SOL/EUR", "BTC/USDT:USDT"])
text = st.text(max_size=50)
common = {"bot_id": bot_ids, "seq": st.integers(min_value=0, max_value=2**53), "ts": times}

trades = st.builds(
    TradeExecuted,
    **common,
    mode=st.sampled_from(["paper", "live"]),
    side=st.sampled_from(["buy", "sell"]),
    symbol=symbols,
    price=positive,
    amount=positive,
    cost=positive,
    fee=positive,
    fee_currency=st.just("USDT"),
    order_id=text,
    realized_profit=st.none() | decimals,
    realized_profit_pct=st.none() | decimals,
    position=positive,
    balances=st.dictionaries(st.sampled_from(["BTC", "USDT", "ETH"]), positive, max_size=3),
    market_time=st.none() | times,
    order_type=st.none() | st.sampled_from(["market", "limit"]),
    liquidity=st.none() | st.sampled_from(["maker", "taker"]),
    reason=st.none() | st.sampled_from(TRADE_REASONS),
    tag=st.none() | st.text(max_size=64),
    entry=st.none()
    | st.builds(TradeEntry, price=positive, market_time=times, duration_s=st.floats(min_value=0, max_value=1e9)),
)
statuses = st.builds(
    StatusChanged,
    **common,
    status=st.sampled_from(["running", "stopped", "error"]),
    reason=text,
    actor=st.text(min_size=1, max_size=20),
)
prices = st.builds(
    PriceUpdated,
    **common,
    symbol=symbols,
    last=positive,
    bid=positive,
    ask=positive,
    change_pct=decimals,
    iteration=st.integers(min_value=0, max_value=10**9),
)
stats = st.builds(
    StatsUpdated,
    **common,
    trades=st.integers(0, 10**6),
    wins=st.integers(0, 10**6),
    losses=st.integers(0, 10**6),
    win_rate=positive,
    realized_profit=decimals,
    unrealized_profit=decimals,
    equity=decimals,
    max_drawdown=positive,
    fees_paid=positive,
    quote_currency=st.just("USDT"),
)
results = st.builds(
    CommandResult,
    **common,
    command_id=st.uuids(),
    command=st.sampled_from([None, "start_bot", "stop_bot", "request_status"]),
    outcome=st.sampled_from(["accepted", "rejected", "completed"]),
    message=text,
)
heartbeats = st.builds(
    Heartbeat,
    **common,
    status=st.sampled_from(["running", "stopped", "error"]),
    interval_s=st.floats(min_value=0.1, max_value=3600),
)
plot_values = st.none() | st.floats(allow_nan=False, allow_infinity=False, width=32)
candles = st.builds(
    CandleClosed,
    **common,
    symbol=symbols,
    timeframe=st.sampled_from(["1m", "5m", "1h", "1d"]),
    open_time=times,
    open=positive,
    high=positive,
    low=positive,
    close=positive,
    volume=positive,
    plots=st.dictionaries(st.sampled_from(["sma_fast", "sma_slow", "rsi", "bb_upper"]), plot_values, max_size=4),
)
open_positions = st.builds(
    OpenPosition,
    symbol=symbols,
    amount=positive,
    entry_price=positive,
    entry_time=times,
    stoploss=st.none() | positive,
    take_profit=st.none() | positive,
)
positions = st.builds(PositionsChanged, **common, positions=st.lists(open_positions, max_size=3))
refusals = st.builds(
    OrderRefused,
    **common,
    symbol=symbols,
    side=st.sampled_from(["buy", "sell"]),
    order_type=st.sampled_from(["market", "limit"]),
    amount=positive,
    price=st.none() | positive,
    reason=text,
    limits=st.none() | st.builds(MarketLimits, min_amount=st.none() | positive, min_cost=st.none() | positive),
    refusals_in_a_row=st.integers(min_value=1, max_value=10**6),
    tag=st.none() | st.text(max_size=64),
)
markets = st.builds(
    MarketsLoaded,
    **common,
    markets=st.lists(
        st.builds(
            MarketTraded, symbol=symbols, base=st.just("BTC"), quote=st.just("USDT"), price_tick=positive,
            amount_step=positive, limits=st.builds(MarketLimits, min_amount=st.none() | positive),
        ),
        max_size=3,
    ),
)  # fmt: skip
events = st.one_of(trades, statuses, prices, stats, results, heartbeats, candles, positions, refusals, markets)


@st.composite
def commands(draw: st.DrawFn) -> CommandBase:
    kind = draw(st.sampled_from([StartBot, StopBot, RequestStatus, ClosePosition]))
    issued = draw(times)
    ttl = draw(st.integers(min_value=1, max_value=10**6))
    if kind is ClosePosition:
        return ClosePosition(
            bot_id=draw(bot_ids),
            actor=draw(st.text(min_size=1, max_size=20)),
            issued_at=issued,
            expires_at=issued + timedelta(milliseconds=ttl),
            symbol=draw(st.none() | symbols),
        )
    return kind(
        bot_id=draw(bot_ids),
        actor=draw(st.text(min_size=1, max_size=20)),
        issued_at=issued,
        expires_at=issued + timedelta(milliseconds=ttl),
    )
