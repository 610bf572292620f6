"""The trader's facts as events: what the engine did, said in the words of `tradewire_schemas`.

Kept out of the engine so that `Trader` trades and this only describes; every field's meaning is in the
schema. Market time (the candle's) and wall time (`ts`) are both carried: a replay of 2023 says 2023.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from tradewire_schemas import (
    CandleClosed,
    MarketLimits,
    MarketTraded,
    Mode,
    OpenPosition,
    OrderRefused,
    PositionsChanged,
    PriceUpdated,
    StatsUpdated,
    SymbolStats,
    TradeEntry,
    TradeExecuted,
)
from tradewire_trader.accounting import PERCENT_STEP, Book, Realized, percent
from tradewire_trader.candles import Candle
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances, Fill
from tradewire_trader.positions import Position
from tradewire_trader.trusted import trusted

M = TypeVar("M", bound=BaseModel)


def market_time(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def market_limits(rules: MarketRules) -> MarketLimits:
    return MarketLimits(
        min_amount=rules.min_amount or None,
        max_amount=rules.max_amount or None,
        min_cost=rules.min_cost or None,
        max_cost=rules.max_cost or None,
    )


def market_fact(rules: MarketRules) -> MarketTraded:
    """A market as the `markets_loaded` fact describes it (the dashboard shows prices to its tick)."""
    return MarketTraded(
        symbol=rules.symbol,
        base=rules.base,
        quote=rules.quote,
        price_tick=rules.price_tick,
        amount_step=rules.amount_step,
        limits=market_limits(rules),
    )


@dataclass(frozen=True)
class OrderNote:
    """What the engine remembers about an order it placed, until it filled: why, and what kind."""

    reason: str
    tag: str
    order_type: str

    def to_json(self) -> list[str]:
        return [self.reason, self.tag, self.order_type]


def timeframe(candle_seconds: int) -> str:
    for unit, seconds in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if candle_seconds % seconds == 0:
            return f"{candle_seconds // seconds}{unit}"
    return f"{candle_seconds}s"


@dataclass
class Facts:
    bot_id: str
    mode: Mode
    symbol: str
    quote: str

    def _made(self, model: type[M], **fields: Any) -> M:
        """A paper bot's own figures (from checked candles, exact arithmetic) need no validation (trusted.py);
        a live bot's come partly from the exchange's answers, which are checked like any outside input."""
        return trusted(model, **fields) if self.mode == "paper" else model(**fields)

    def trade(
        self,
        fill: Fill,
        realized: Realized | None,
        note: OrderNote | None,
        closed: Position | None,
        position: Decimal,
        balances: Balances,
    ) -> TradeExecuted:
        entry = None
        if closed is not None:
            duration = max(0.0, (fill.timestamp_ms - closed.opened_ms) / 1000)
            entry = self._made(
                TradeEntry, price=closed.entry_price, market_time=market_time(closed.opened_ms), duration_s=duration
            )
        return self._made(
            TradeExecuted,
            bot_id=self.bot_id,
            mode=self.mode,
            side=fill.side,
            symbol=fill.symbol,
            price=fill.price,
            amount=fill.amount,
            cost=fill.cost,
            fee=fill.fee,
            fee_currency=fill.fee_currency,
            fee_quote=fill.fee_in_quote,
            order_id=fill.order_id,
            realized_profit=None if realized is None else realized.profit,
            realized_profit_pct=None if realized is None else realized.percent,
            position=position,
            balances=balances.totals(),
            market_time=market_time(fill.timestamp_ms) if fill.timestamp_ms else None,
            order_type=None if note is None else note.order_type,
            liquidity="taker" if fill.taker else "maker",
            reason=None if note is None else note.reason,
            tag=None if note is None or not note.tag else note.tag[:64],
            entry=entry,
        )

    def price(
        self, last: Decimal, quote: tuple[Decimal, Decimal], iteration: int, first: Decimal | None
    ) -> PriceUpdated:
        return self.price_later(last, quote, iteration, first)()

    def price_later(
        self, last: Decimal, quote: tuple[Decimal, Decimal], iteration: int, first: Decimal | None
    ) -> Callable[[], PriceUpdated]:
        """The figures read now, the event built only when it is sent: the outbox replaces most price and
        stats updates of a fast replay unseen, and validating an event costs more than the figures."""
        bid, ask = quote
        fields = {
            "bot_id": self.bot_id, "symbol": self.symbol, "last": last, "bid": bid, "ask": ask,
            "iteration": iteration, "change_pct": percent(last - (first or last), first or last),
        }  # fmt: skip
        return lambda: self._made(PriceUpdated, **fields)

    def stats(self, book: Book, unrealized: Decimal, equity: Decimal) -> StatsUpdated:
        return self.stats_later(book, unrealized, equity)()

    def stats_later(
        self, book: Book, unrealized: Decimal, equity: Decimal, symbols: list[SymbolStats] | None = None
    ) -> Callable[[], StatsUpdated]:
        """As `price_later`: the book's figures now, the event when sent. `symbols`: each one's share."""
        fields = {
            "bot_id": self.bot_id, "trades": book.trades, "wins": book.wins, "losses": book.losses,
            "win_rate": book.win_rate, "realized_profit": book.realized_profit,
            "unrealized_profit": unrealized, "equity": equity,
            "max_drawdown": book.max_drawdown.quantize(PERCENT_STEP), "fees_paid": book.fees_paid,
            "quote_currency": self.quote, "symbols": symbols,
        }  # fmt: skip
        return lambda: self._made(StatsUpdated, **fields)

    def candle(self, candle: Candle, width: str, plots: dict[str, float | None]) -> CandleClosed:
        return CandleClosed(
            bot_id=self.bot_id,
            symbol=self.symbol,
            timeframe=width,
            open_time=market_time(candle.timestamp_ms),
            open=candle.open,
            high=candle.high,
            low=candle.low,
            close=candle.close,
            volume=candle.volume,
            plots=plots,
        )

    def positions(
        self, open_positions: list[tuple[Position, Decimal, Decimal | None, Decimal | None]]
    ) -> PositionsChanged:
        """From (position, amount held, stop price, take-profit price) per open position."""
        return self._made(
            PositionsChanged,
            bot_id=self.bot_id,
            positions=[
                self._made(
                    OpenPosition,
                    symbol=p.symbol,
                    amount=held,
                    entry_price=p.entry_price,
                    entry_time=market_time(p.opened_ms),
                    stoploss=stop,
                    take_profit=take,
                )
                for p, held, stop, take in open_positions
            ],
        )

    def refused(
        self, side: str, order_type: str, amount: Decimal, price: Decimal | None, reason: str, rules: MarketRules,
        in_a_row: int, tag: str,
    ) -> OrderRefused:  # fmt: skip
        return OrderRefused(
            bot_id=self.bot_id,
            symbol=self.symbol,
            side=side,
            order_type=order_type,
            amount=amount,
            price=price,
            reason=reason[:500],
            limits=market_limits(rules),
            refusals_in_a_row=in_a_row,
            tag=tag[:64] or None,
        )
