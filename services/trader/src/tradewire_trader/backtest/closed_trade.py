"""Round trips read back from the engine's own `trade_executed` events: what the report counts as a trade.

A trade is an exit fill (a sell that realised profit), with the entry it closed. Events written by v2
traders carry the entry (price, market time, duration) and the exit's reason; for older events the entry
is found by walking the fills: the first buy since the position was last flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewire_schemas import TradeExecuted


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    symbol: str
    entry_ms: int
    exit_ms: int
    entry_price: Decimal
    exit_price: Decimal
    amount: Decimal
    profit: Decimal  # quote currency, after both fees (the engine's realized profit)
    profit_pct: Decimal  # of the basis the exit closed
    fees: Decimal  # quote value of the exit fill's fee (the entry fee is inside the basis)
    reason: str  # signal, stoploss, trailing_stop, take_profit, roi, time_limit, ...
    tag: str

    @property
    def duration_s(self) -> float:
        return (self.exit_ms - self.entry_ms) / 1000


def market_ms(trade: TradeExecuted) -> int:
    """When the fill happened in market time (the candle's open), or wall time for events before v2."""
    moment = getattr(trade, "market_time", None) or trade.ts
    return int(moment.timestamp() * 1000)


def closed_trades(fills: list[TradeExecuted]) -> list[ClosedTrade]:
    opened: dict[str, tuple[int, Decimal]] = {}  # symbol -> (first entry fill ms, its price), walking the fills
    trades = []
    for fill in fills:
        at = market_ms(fill)
        if fill.side == "buy":
            opened.setdefault(fill.symbol, (at, fill.price))
            continue
        if fill.realized_profit is None or fill.realized_profit_pct is None:
            continue
        entry = getattr(fill, "entry", None)
        if entry is not None:
            entry_ms, entry_price = int(entry.market_time.timestamp() * 1000), entry.price
        else:
            entry_ms, entry_price = opened.get(fill.symbol, (at, fill.price))
        trades.append(
            ClosedTrade(
                symbol=fill.symbol,
                entry_ms=entry_ms,
                exit_ms=at,
                entry_price=entry_price,
                exit_price=fill.price,
                amount=fill.amount,
                profit=fill.realized_profit,
                profit_pct=fill.realized_profit_pct,
                fees=fill.fee_quote if fill.fee_quote is not None else Decimal(0),
                reason=getattr(fill, "reason", None) or "signal",
                tag=getattr(fill, "tag", None) or "",
            )
        )
        if fill.position == 0:
            opened.pop(fill.symbol, None)
    return trades
