"""A user's strategy, in a file outside tradewire's package, loaded by path and traded through a real bus:
its parameters from a flag and the environment, its tag and its exits on the published trades."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_testing import RedisServer
from tradewire_testing.processes import service_environment
from tradewire_testing.streams import stream_events

pytestmark = pytest.mark.redis

USER_STRATEGY = textwrap.dedent(
    """
    from __future__ import annotations

    import talib
    from pydantic import BaseModel, ConfigDict, Field

    from tradewire_trader.risk import Risk
    from tradewire_trader.strategies import Strategy, enter, exit_


    class DipParams(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        ema: int = Field(30, ge=2)
        dip_pct: float = Field(0.5, gt=0)


    class DipBuyer(Strategy):
        name = "dip_buyer"
        plots = ("ema",)
        risk = Risk(stoploss_pct=1, take_profit_pct=1)
        params: DipParams

        @property
        def warmup(self) -> int:
            return 4 * self.params.ema

        def indicators(self, frame):
            frame["ema"] = talib.EMA(frame["close"].to_numpy(), timeperiod=self.params.ema)
            return frame

        def decide(self, bar, position):
            dip = bar.close < bar["ema"] * (1 - self.params.dip_pct / 100)
            if position is None and dip:
                return enter(f"{self.params.dip_pct}% under EMA{self.params.ema}")
            return None
    """
)


def test_a_strategy_from_a_users_own_file_trades_through_the_bus(tmp_path: Path, redis_server: RedisServer) -> None:
    home = tmp_path / "my_strategies"
    home.mkdir()
    (home / "dips.py").write_text(USER_STRATEGY)
    env = service_environment(redis_server.url, TRADER_EMA="20")  # a parameter from the environment
    command = [
        sys.executable, "-m", "tradewire_trader", "run", "--bot-id", "mine", "--source", "replay", "--speed", "0",
        "--strategy", f"{home / 'dips.py'}:DipBuyer", "--dip-pct", "0.3", "--order-size", "0.001",
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "strategy dip_buyer {'ema': 20, 'dip_pct': 0.3}" in finished.stderr
    events = stream_events(redis_server.url, "mine")
    statuses = [e for e in events if isinstance(e, StatusChanged)]
    assert (statuses[0].reason, statuses[-1].reason) == ("started", "market data ended")
    trades = [e for e in events if isinstance(e, TradeExecuted)]
    buys, sells = [t for t in trades if t.side == "buy"], [t for t in trades if t.side == "sell"]
    assert buys and all((t.reason, t.tag) == ("signal", "0.3% under EMA20") for t in buys)
    assert sells and {t.reason for t in sells} <= {"stoploss", "take_profit"}
    assert all(t.entry is not None and t.realized_profit_pct is not None for t in sells)
    # the replay is 2023's sample: trades carry its time, not today's
    assert all(t.market_time is not None and t.market_time.year < 2025 for t in trades)
