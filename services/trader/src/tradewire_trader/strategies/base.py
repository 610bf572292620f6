"""The strategy interface: indicators over a frame of candles, then one decision per candle.

A strategy is a class in the user's own module or file (loaded by `--strategy my_pkg.mod:MyStrategy` or
`--strategy path/to/file.py:MyStrategy`). Like Freqtrade's `IStrategy` it computes indicators vectorised
over a pandas DataFrame (`indicators`), so a one-year backtest pays for them once; like NautilusTrader's
`on_bar` it then decides candle by candle (`decide`) from values already computed, and returns an
`Intent`: the engine owns time, orders, fills, exits and the books. docs/strategies.md is the guide.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tradewire_trader.risk import Risk

if TYPE_CHECKING:
    import pandas as pd

    from tradewire_trader.positions import Position
    from tradewire_trader.strategies.bar import Bar


@dataclass(frozen=True, slots=True)
class Intent:
    """What the strategy asks for. A buy enters (or adds to) a position, a sell exits it.

    Size, for a buy: `amount` (base coins) or `stake` (quote to spend); neither: the bot's sizing setting
    (`order_size`, `stake_quote` or `stake_pct`). For a sell: `amount`, or the whole position when None.
    `limit_price` None sends a market order. `tag` is the strategy's own label, carried on the trade.
    """

    side: Literal["buy", "sell"]
    amount: Decimal | None = None
    tag: str = ""
    limit_price: Decimal | None = None
    stake: Decimal | None = None

    @property
    def order_type(self) -> Literal["market", "limit"]:
        return "market" if self.limit_price is None else "limit"


def enter(
    tag: str = "", *, amount: Decimal | None = None, stake: Decimal | None = None, limit_price: Decimal | None = None
) -> Intent:
    """Open a long position (spot: buy)."""
    return Intent("buy", amount, tag, limit_price, stake)


def exit_(tag: str = "", *, amount: Decimal | None = None, limit_price: Decimal | None = None) -> Intent:
    """Close the position (spot: sell it all, or `amount` of it)."""
    return Intent("sell", amount, tag, limit_price)


def sweep(*values: Any) -> dict[str, Any]:
    """A parameter's values for a sweep given no grid: `fast: int = Field(5, json_schema_extra=sweep(3, 5, 8))`
    (`backtest sweep` tries every combination the parameters declare; docs/backtesting.md)."""
    return {"sweep": list(values)}


class NoParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Strategy:
    """Subclass it. Declare `params: MyParams` (a frozen pydantic model) to get typed parameters.

    Class attributes: `name` (shown in logs and the state file), `plots` (indicator columns the dashboard
    draws with the candles), `risk` (default exits and limits; settings may override each, and the start
    log prints the result).
    """

    name: ClassVar[str] = ""
    plots: ClassVar[tuple[str, ...]] = ()
    risk: ClassVar[Risk] = Risk()
    params: BaseModel

    def __init__(self, params: BaseModel | None = None) -> None:
        from tradewire_trader.strategies.loader import params_model

        self.params = params if params is not None else params_model(type(self))()

    @property
    def warmup(self) -> int:
        """Candles needed before the first decision. Live, indicators see exactly this many candles."""
        return 0

    def indicators(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add indicator columns to `frame` (open, high, low, close, volume as floats), vectorised."""
        return frame

    def decide(self, bar: Bar, position: Position | None) -> Intent | None:
        """One decision per closed candle, from `bar` (this candle's row) and the open position, if any."""
        raise NotImplementedError
