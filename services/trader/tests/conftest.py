"""Builders for a trader wired to an in-memory publisher and a temporary state file."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradewire_bus import InMemoryPublisher
from tradewire_trader.components import build_paper_exchange
from tradewire_trader.outbox import Outbox
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import build_strategy
from tradewire_trader.trader import Trader


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"state_file": tmp_path / "state.sqlite3", "speed": 0, "redis_url": "redis://127.0.0.1:1/0"}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_trader(settings: Settings, store: StateStore, publisher: InMemoryPublisher) -> Trader:
    return Trader(
        bot_id=settings.bot_id, mode=settings.mode, exchange=build_paper_exchange(settings),
        strategy=build_strategy(settings), store=store, outbox=Outbox(store, publisher),
        price_every=settings.price_every, stats_every_s=settings.stats_every_s, outbox_limit=settings.outbox_limit,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore(tmp_path / "state.sqlite3")
    yield opened
    opened.close()


D = Decimal
