"""The trader's settings: API keys are never shown; real money must be acknowledged; the start says which runs."""

from __future__ import annotations

import logging
from decimal import Decimal as D
from pathlib import Path

import ccxt
import pytest
from live_harness import Clock, LiveRun, settings_for_live
from prometheus_client import generate_latest
from pydantic import ValidationError

from tradewire_testing.binance_stub import BinanceStub
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.metrics import TraderMetrics
from tradewire_trader.settings import Settings
from tradewire_trader.strategies import Intent

KEY, SECRET = "SUPERSECRETKEY-7f3a9c", "SUPERSECRETSECRET-d41e"


def test_keys_appear_in_no_validation_error_repr_or_dump() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(api_key=KEY, api_secret=SECRET, stake_quote=100, stake_pct=10)  # type: ignore[arg-type]
    shown = str(refused.value)  # what `tradewire-trader run` prints
    assert "set stake_quote or stake_pct, not both" in shown
    settings = Settings(api_key=KEY, api_secret=SECRET)  # type: ignore[arg-type]
    for text in (shown, repr(settings), str(settings), settings.model_dump_json()):
        assert KEY not in text and SECRET not in text
    assert settings.api_key.get_secret_value() == KEY  # the value is there, for the ccxt client only


def test_real_money_needs_an_explicit_acknowledgement() -> None:
    with pytest.raises(ValidationError, match="trades real money: set TRADER_LIVE_ACKNOWLEDGED=true"):
        Settings(mode="live", sandbox=False)
    assert Settings(mode="live", sandbox=False, live_acknowledged=True).sandbox is False
    assert Settings(mode="live").sandbox is True  # the sandbox unless said otherwise


async def test_a_live_run_never_prints_its_keys_in_logs_events_or_metrics(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: ours, ccxt's, aiohttp's access log
    stub = BinanceStub()
    await stub.start()
    run = await LiveRun.start(stub, settings_for_live(tmp_path, stub.url, api_key=KEY, api_secret=SECRET), Clock())
    try:
        run.strategy.intents.extend([Intent("buy", D("0.01"), "test"), None])
        await run.candle()
        await run.candle()
        with pytest.raises(ccxt.InvalidOrder) as refused:  # below the minimum: no keys in the message either
            await run.exchange.create_order("BTC/USDT", "market", "buy", D("0.0000001"))
        events = "".join(e.model_dump_json() for _, e in run.store.pending())
        trades = run.trades()
    finally:
        await run.close()
        await stub.stop()
    metrics = TraderMetrics()
    metrics.watch(run.trader, CommandHandler(run.trader, 5.0))
    scraped = generate_latest(metrics.registry).decode()
    assert "live trading on binance SANDBOX (testnet, no real money)" in caplog.text
    assert len(trades) == 1 and "tradewire_trader_exchange_read_failures_total" in scraped
    for text in (caplog.text, events, scraped, str(refused.value)):
        for line in text.splitlines():
            assert KEY not in line and SECRET not in line, line


async def test_the_start_says_when_real_money_is_traded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tradewire.trader.live")
    stub = BinanceStub()
    await stub.start()
    settings = settings_for_live(tmp_path, stub.url, sandbox=False, live_acknowledged=True)
    run = await LiveRun.start(stub, settings, Clock())
    await run.close()
    await stub.stop()
    assert f"live trading on binance LIVE WITH REAL MONEY through {stub.url}" in caplog.text
    assert "SANDBOX" not in caplog.text
