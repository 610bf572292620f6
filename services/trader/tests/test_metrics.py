"""The trader's Prometheus endpoint, scraped over real HTTP: every figure matches what the trader published."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal as D
from pathlib import Path

import httpx
import pytest
from candle_list import CandleList
from prometheus_client.parser import text_string_to_metric_families

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import StatsUpdated, TradeExecuted
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.components import build_paper_trader
from tradewire_trader.market_data import read_ohlcv_csv, sample_csv
from tradewire_trader.metrics import MetricsUnavailable, TraderMetrics, metrics_server
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.trader import Trader

Runner = Callable[[Trader, CandleList], Awaitable[None]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name, frozenset(labels.items())]


async def scrape(port: int) -> tuple[httpx.Response, Samples]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    return response, parse(response.text)


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


async def test_scraped_figures_match_the_published_facts(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner
) -> None:
    settings = settings_for(tmp_path, bot_id="alpha")
    metrics, publisher = TraderMetrics(), InMemoryPublisher()
    store = StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, publisher, observe_publish=metrics.publish_seconds.observe)
    metrics.watch(trader, CommandHandler(trader, settings.heartbeat_s))
    trader.status = "running"
    candles = list(read_ohlcv_csv(sample_csv()))
    await run_to_end(trader, CandleList(candles))
    trader.publish_stats()
    await run_to_end(trader, CandleList([]))

    async with metrics_server(metrics.registry, "127.0.0.1", 0) as port:
        response, samples = await scrape(port)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/")).status_code == 404
    store.close()

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    bot = {"bot": "alpha"}
    trades = Counter(e.side for e in publisher.events() if isinstance(e, TradeExecuted))
    assert trades["buy"] >= 10 and trades["sell"] >= 10
    for side in ("buy", "sell"):
        assert value(samples, "tradewire_trader_fills_total", side=side, **bot) == trades[side]
    published = Counter(e.type for e in publisher.events())
    for event_type, count in published.items():
        assert value(samples, "tradewire_trader_events_published_total", type=event_type, **bot) == count
    assert value(samples, "tradewire_trader_publish_seconds_count") == sum(published.values())
    assert value(samples, "tradewire_trader_candles_total", **bot) == len(candles)
    assert value(samples, "tradewire_trader_status", status="running", **bot) == 1
    assert value(samples, "tradewire_trader_status", status="stopped", **bot) == 0
    assert value(samples, "tradewire_trader_last_seq", **bot) == publisher.published[-1].event.seq
    assert value(samples, "tradewire_trader_outbox_backlog", **bot) == 0
    stats = [e for e in publisher.events() if isinstance(e, StatsUpdated)][-1]
    money = {"bot": "alpha", "currency": "USDT"}
    assert value(samples, "tradewire_trader_equity", **money) == float(stats.equity)
    assert value(samples, "tradewire_trader_realized_profit", **money) == float(stats.realized_profit)
    assert value(samples, "tradewire_trader_fees_paid", **money) == float(stats.fees_paid)
    assert value(samples, "tradewire_trader_info", symbol="BTC/USDT", mode="paper", **bot) == 1


async def test_a_taken_port_is_a_clear_error(occupied_port: int) -> None:
    with pytest.raises(MetricsUnavailable, match=rf"cannot serve metrics on 127\.0\.0\.1:{occupied_port}"):
        async with metrics_server(TraderMetrics().registry, "127.0.0.1", occupied_port):
            pass


async def test_a_bot_of_several_symbols_shows_each_market_and_position(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(tmp_path, bot_id="pair", symbols="BTC/USDT,ETH/USDT", starting_base=D("0.5"))
    metrics, store = TraderMetrics(), StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, InMemoryPublisher())
    metrics.watch(trader, CommandHandler(trader, settings.heartbeat_s))
    async with metrics_server(metrics.registry, "127.0.0.1", 0) as port:
        _, samples = await scrape(port)
    store.close()
    for symbol in ("BTC/USDT", "ETH/USDT"):
        assert value(samples, "tradewire_trader_info", symbol=symbol, mode="paper", bot="pair") == 1
    assert value(samples, "tradewire_trader_position", currency="BTC", bot="pair") == 0.5
    assert value(samples, "tradewire_trader_position", currency="ETH", bot="pair") == 0
