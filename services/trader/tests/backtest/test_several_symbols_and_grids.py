"""Backtests over several symbols (one wallet, one report with a row per symbol) and sweeps whose grid
comes from the values a strategy's parameters declare."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tradewire_trader.__main__ import main
from tradewire_trader.backtest.backtest_run import run_backtest
from tradewire_trader.backtest.candle_source import CandleSource, load_symbols
from tradewire_trader.backtest.parameter_grid import declared_grid
from tradewire_trader.settings import Settings

USER_STRATEGY = """
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewire_trader.strategies import sweep
from tradewire_trader.strategies.sma_crossover import SmaCrossover


class Windows(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    fast: int = Field(5, ge=1, json_schema_extra=sweep(5, 40))
    slow: int = Field(20, ge=2, json_schema_extra=sweep(20, 30))

    @model_validator(mode="after")
    def _ordered(self) -> "Windows":
        if self.fast >= self.slow:
            raise ValueError("fast must be below slow")
        return self


class Narrow(SmaCrossover):
    name = "narrow"
    params: Windows
"""


def test_built_in_strategies_declare_what_a_sweep_tries() -> None:
    assert declared_grid("sma_crossover") == ["fast=3,5,8,13", "slow=20,30,50"]
    assert declared_grid("rsi_reversion") == ["rsi_period=7,14,21", "rsi_buy_below=25,30", "rsi_sell_above=70,75"]
    assert declared_grid("bollinger_reversion") == ["bb_period=14,20,30", "bb_width=1.5,2.0,2.5"]


def test_a_sweep_without_grid_tries_the_declared_values_the_strategy_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strategy = tmp_path / "narrow.py"
    strategy.write_text(USER_STRATEGY)
    args = ["backtest", "sweep", "--candles", "2000", "--strategy", f"{strategy}:Narrow", "--workers", "1"]
    assert main([*args, "--reports-dir", str(tmp_path), "--no-progress"]) == 0
    runs = json.loads(next(tmp_path.glob("*-table.json")).read_text())["runs"]
    assert sorted(r["run"].rpartition(":Narrow ")[2] for r in runs) == ["fast=5 slow=20", "fast=5 slow=30"]
    assert "2 combination(s) it refuses left out" in " ".join(capsys.readouterr().out.split())


def test_one_backtest_trades_several_symbols_from_one_wallet_and_reports_each() -> None:
    settings = Settings(bot_id="backtest", symbols="BTC/USDT,ETH/USDT,SOL/USDT", stake_quote=Decimal(300))
    tables, step_ms, _ = load_symbols(CandleSource(synthetic_candles=3000), settings.markets)
    assert [len(t) for t in tables.values()] == [3000, 3000, 3000]
    result = run_backtest(settings, tables, step_ms)
    assert {t.symbol for t in result.trades} == set(settings.markets)
    last = result.fills[-1]
    # The curve values every coin at its own symbol's close: after the last fill, cash plus each holding.
    at = int((tables["BTC/USDT"].timestamp_ms == int(last.market_time.timestamp() * 1000)).nonzero()[0][0])
    expected = float(last.balances.get("USDT", Decimal(0)))
    expected += sum(float(last.balances.get(s.split("/")[0], Decimal(0))) * tables[s].close[at] for s in tables)
    assert abs(result.curve.equity[at] - expected) < 1e-6
