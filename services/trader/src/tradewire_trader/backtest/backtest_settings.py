"""Where backtests keep their files. The simulated bot itself (strategy, symbol, fees, balances) is set by
the trader's own `Settings`, exactly as for a paper bot, so a backtest and a paper run read the same names.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BacktestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BACKTEST_", extra="ignore")

    reports_dir: Path = Field(
        Path("var/backtests"), description="Reports (JSON + HTML) are written here; the dashboard lists them."
    )
    data_dir: Path = Field(
        Path("var/data"), description="`download` stores candles here, one folder per exchange (Freqtrade's layout)."
    )
    progress_from: int = Field(
        100_000, ge=0, description="Show a progress bar for runs of at least this many candles (0: always)."
    )
