"""The engine: candles in, strategy decisions, orders, fills, accounting, and every fact to the outbox.

State that must survive a crash (balances, open orders, the book, the iteration reached, the status)
is written to the state store together with the events describing the change, before anything else
happens. After a restart the trader resumes at the saved iteration, replaying the strategy's warm-up
candles first so it decides exactly as it would have.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]

from tradewire_runtime.logs import trace
from tradewire_schemas import (
    BotStatus,
    Event,
    Mode,
    PriceUpdated,
    StatsUpdated,
    StatusChanged,
    TradeExecuted,
)
from tradewire_trader.accounting import PERCENT_STEP, Book, percent
from tradewire_trader.candles import Candle
from tradewire_trader.exchange import Exchange
from tradewire_trader.live_rails import report_exchange_trouble
from tradewire_trader.market_data import MarketData
from tradewire_trader.orders import Fill, OrderType
from tradewire_trader.outbox import Outbox
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Intent, Strategy

log = logging.getLogger("tradewire.trader")
TRADER = "trader"
YIELD_EVERY = 64  # candles between yields to the event loop when data comes as fast as possible


class Trader:
    def __init__(
        self,
        *,
        bot_id: str,
        mode: Mode,
        exchange: Exchange,
        strategy: Strategy,
        store: StateStore,
        outbox: Outbox,
        price_every: int = 10,
        stats_every_s: float = 10.0,
        outbox_limit: int = 10_000,
        reconcile_every_s: float = 300.0,
    ) -> None:
        self.bot_id = bot_id
        self.mode = mode
        self.exchange = exchange
        self.symbol = exchange.rules.symbol
        self.base, self.quote = self.symbol.split("/")
        self.strategy = strategy
        self.store = store
        self.outbox = outbox
        self.price_every = price_every
        self.stats_every_s = stats_every_s
        self.outbox_limit = outbox_limit
        self.book = Book(position=exchange.balances.total(self.base))
        self.status: BotStatus = "stopped"
        self.iteration = 0
        self.first_price: Decimal | None = None
        self.market_time: datetime | None = None  # open time of the candle being traded (schema v2)
        self.clean_exit = True
        self.rejected_orders = 0
        self.fills: Counter[str] = Counter()  # by side, since this process started
        self._refusals_in_a_row = 0
        self._stats_due = 0.0
        self._reconcile_due = 0.0
        self.reconcile_every_s = reconcile_every_s
        self.reported_read_error: str | None = None  # the exchange trouble last published, if any
        self.reconcile_difference = Decimal(0)  # base coins the exchange holds beyond the book (metric)
        if hasattr(exchange, "checkpoint"):
            # A live order is saved under its client id before it is sent (see live_exchange).
            exchange.checkpoint = lambda: self.store.save(self.snapshot())

    # --- state ----------------------------------------------------------------------------------
    def restore(self) -> bool:
        """Load the saved state; True if there was one."""
        saved = self.store.load()
        if saved is None:
            return False
        self.exchange.restore(saved["exchange"])
        self.book = Book.from_json(saved["book"])
        self.iteration = saved["iteration"]
        self.first_price = None if saved["first_price"] is None else Decimal(saved["first_price"])
        self.clean_exit = saved["clean_exit"]
        return True

    def snapshot(self, *, clean_exit: bool = False) -> dict[str, Any]:
        return {
            "exchange": self.exchange.state(),
            "book": self.book.to_json(),
            "iteration": self.iteration,
            "first_price": None if self.first_price is None else str(self.first_price),
            "status": self.status,
            "clean_exit": clean_exit,
        }

    def record(self, *events: Event, clean_exit: bool = False) -> None:
        """Persist the state with these durable events in one transaction, then queue them to publish."""
        ids = self.store.save(self.snapshot(clean_exit=clean_exit), events)
        for outbox_id, event in zip(ids, events, strict=True):
            self.outbox.add_durable(outbox_id, event)

    # --- status ---------------------------------------------------------------------------------
    def change_status(self, status: BotStatus, reason: str, actor: str = TRADER, *, clean_exit: bool = False) -> None:
        self.status = status
        change = StatusChanged(bot_id=self.bot_id, status=status, reason=reason, actor=actor)
        log.info(
            "status %s: %s (by %s)", status, reason, actor, extra=trace(bot_id=self.bot_id, event_id=change.event_id)
        )
        self.record(change, clean_exit=clean_exit)

    async def cancel_open_orders(self) -> int:
        canceled = 0
        for order_id in list(self.exchange.open_orders):
            try:
                await self.exchange.cancel_order(order_id, self.symbol)
                canceled += 1
            except ccxt.BaseError as error:
                log.warning("could not cancel order %s: %s: %s", order_id, type(error).__name__, error)
        follow = getattr(self.exchange, "follow_orders", None)
        if follow is not None:  # live: what filled before the cancel is booked now, not at the next start
            self.book_fills(await follow())
        if canceled:
            self.store.save(self.snapshot())
        return canceled

    # --- the loop -------------------------------------------------------------------------------
    async def run(self, market: MarketData) -> None:
        """Trade every candle the market yields, until it ends or the task is cancelled."""
        resume_at = self.iteration
        index = max(0, resume_at - self.strategy.warmup)
        if self.mode == "live":
            await self.reconcile()
        async for candle in market.candles(index):
            if index < resume_at:  # warm-up after a restart: the strategy sees it, nothing trades
                self.strategy.on_candle(candle, self.book.position)
                index += 1
                continue
            index += 1
            await self.on_candle(candle)
            if index % YIELD_EVERY == 0 or self.outbox.durable_backlog:
                # Let the outbox drain and commands arrive. When candles come as fast as possible this is
                # where price and stats updates conflate; trades make us yield at once.
                await asyncio.sleep(0)

    async def on_candle(self, candle: Candle) -> None:
        self.iteration += 1
        self.market_time = datetime.fromtimestamp(candle.timestamp_ms / 1000, UTC)  # stamps this candle's fills
        if self.first_price is None:
            self.first_price = candle.close
            self.book.cost_basis = self.book.position * candle.close  # a starting position, valued at entry
        fills = await self.exchange.settle(candle)
        self.book_fills(fills)
        if self.mode == "live":
            report_exchange_trouble(self)
            if time.monotonic() >= self._reconcile_due:
                await self.reconcile()
        if fills or self.book.position:  # flat and nothing filled: equity cannot have moved
            self.book.mark(self.equity(candle.close))
        if self.status == "running" and not self.exchange.open_orders:
            intent = self.strategy.on_candle(candle, self.sellable())
            if intent is not None:
                await self.place(intent)
        else:
            self.strategy.on_candle(candle, self.book.position)  # keep its indicators current
        if self.iteration % self.price_every == 0:
            self.outbox.add_latest(self.price_event(candle.close))
        now = time.monotonic()
        if now >= self._stats_due:
            self.publish_stats()
            self.store.save(self.snapshot())  # progress, so a restart does not redo much
            self._stats_due = now + self.stats_every_s

    async def place(self, intent: Intent) -> None:
        if self.outbox.durable_backlog >= self.outbox_limit:
            log.warning("not placing %s: %d events wait to be published", intent.side, self.outbox.durable_backlog)
            return
        order_type: OrderType = "market" if intent.limit_price is None else "limit"
        try:
            await self.exchange.create_order(self.symbol, order_type, intent.side, intent.amount, intent.limit_price)
        except (ccxt.InsufficientFunds, ccxt.InvalidOrder) as refused:
            self._refused(f"order refused ({intent.reason}): {refused}")
            return
        except ccxt.BaseError as error:  # the exchange is unreachable or failing: trade on, decide again later
            self._refused(f"order failed ({intent.reason}): {type(error).__name__}: {error}")
            return
        self._refusals_in_a_row = 0
        if self.mode == "live":
            # A live order exists out there: remember it before anything else. A paper order needs no
            # write of its own: after a crash the replayed candles lead to the very same order again.
            self.store.save(self.snapshot())

    def _refused(self, message: str) -> None:
        # A strategy that keeps asking while funds are short would flood the log: say it at 1, 2, 4, 8, ...
        self.rejected_orders += 1
        self._refusals_in_a_row += 1
        if self._refusals_in_a_row & (self._refusals_in_a_row - 1) == 0:
            log.warning("%s (%d in a row)", message, self._refusals_in_a_row)

    def sellable(self) -> Decimal:
        """The position the strategy may sell: what the book holds, but never more than the account has free."""
        free = self.exchange.balances.free.get(self.base)
        held = self.book.position if free is None else min(self.book.position, free)
        return self.exchange.rules.floor_amount(held)

    async def reconcile(self) -> None:
        from tradewire_trader.reconcile import reconcile

        self._reconcile_due = time.monotonic() + self.reconcile_every_s
        await reconcile(self)

    def book_fills(self, fills: list[Fill]) -> None:
        """Book fills and save them with the state in one transaction: a crash keeps all of them or none."""
        if not fills:
            return
        trades = [self.on_fill(fill, record=False) for fill in fills]
        self.record(*trades)
        self.publish_stats()

    def on_fill(self, fill: Fill, *, record: bool = True) -> TradeExecuted:
        realized = self.book.apply(fill)
        self.fills[fill.side] += 1
        trade = TradeExecuted(
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
            position=self.exchange.balances.total(self.base),
            balances=self.exchange.balances.totals(),
            market_time=self.market_time,
        )
        if record:
            self.record(trade)
        profit = "" if realized is None else f" profit {realized.profit} {self.quote} ({realized.percent}%)"
        log.info(
            "%s %s %s at %s fee %s %s%s",
            fill.side,
            fill.amount,
            self.base,
            fill.price,
            fill.fee,
            fill.fee_currency,
            profit,
            extra=trace(bot_id=self.bot_id, event_id=trade.event_id),
        )
        if record:
            self.publish_stats()
        return trade

    # --- facts ----------------------------------------------------------------------------------
    def equity(self, price: Decimal) -> Decimal:
        balances = self.exchange.balances
        return balances.total(self.quote) + balances.total(self.base) * price

    def price_event(self, last: Decimal) -> PriceUpdated:
        rules, slip = self.exchange.rules, getattr(self.exchange, "slippage", Decimal(0))
        return PriceUpdated(
            bot_id=self.bot_id,
            symbol=self.symbol,
            last=last,
            bid=rules.display_price(last * (1 - slip)),
            ask=rules.display_price(last * (1 + slip)),
            iteration=self.iteration,
            change_pct=percent(last - (self.first_price or last), self.first_price or last),
        )

    def stats_event(self) -> StatsUpdated:
        price = self.exchange.last_price or self.first_price or Decimal(0)
        book = self.book
        return StatsUpdated(
            bot_id=self.bot_id,
            trades=book.trades,
            wins=book.wins,
            losses=book.losses,
            win_rate=book.win_rate,
            realized_profit=book.realized_profit,
            unrealized_profit=book.unrealized(price),
            equity=self.equity(price),
            max_drawdown=book.max_drawdown.quantize(PERCENT_STEP),
            fees_paid=book.fees_paid,
            quote_currency=self.quote,
        )

    def publish_stats(self) -> None:
        self.outbox.add_latest(self.stats_event())
