from __future__ import annotations

import gc
import itertools
import weakref
from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path

from candle_list import CandleList

from tradewire_bus import InMemoryPublisher
from tradewire_trader.components import build_paper_trader
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.synthetic import synthetic_series
from tradewire_trader.trader import Trader


async def test_a_finished_trader_is_collected_and_nothing_stays_frozen(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    run_to_end: Callable[[Trader, CandleList], Awaitable[None]],
) -> None:
    settings = settings_for(tmp_path)
    store = StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, InMemoryPublisher())
    trader.status = "running"
    await run_to_end(trader, CandleList(list(itertools.islice(synthetic_series(1, D(42000), 60), 300))))
    store.close()
    assert gc.get_freeze_count() == 0, "the run froze objects and left them frozen"
    assert trader.book.trades > 0  # it did trade
    gone = weakref.ref(trader)
    del trader
    gc.collect()
    # A trader is a reference cycle (its exchange calls back into it): frozen, it would never be freed,
    # and a sweep of backtests in one process would keep every run's candles and indicators.
    assert gone() is None
