"""`tradewire-trader backtest run|compare|sweep|list` through the real entry point, on small synthetic runs."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tradewire_trader.__main__ import main
from tradewire_trader.backtest.candle_table import CandleTable
from tradewire_trader.backtest.parallel_runs import Candidate, run_all
from tradewire_trader.backtest.report import OVERFIT_WARNING
from tradewire_trader.settings import Settings
from tradewire_trader.synthetic import synthetic_series


def test_run_prints_the_report_and_stores_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backtest", "run", "--candles", "3000", "--name", "one", "--reports-dir", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    for heading in ("total return", "buy and hold", "max drawdown", "Sharpe", "profit factor", "per exit reason"):
        assert heading in out
    report = json.loads((tmp_path / "one.json").read_text())
    assert report["run"]["candles"] == 3000 and report["run"]["strategy"] == "sma_crossover"
    assert (tmp_path / "one.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["backtest", "list", "--reports-dir", str(tmp_path)]) == 0
    assert "one" in capsys.readouterr().out


def test_a_bad_data_file_is_refused_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("date,open,high,low,close,volume\n0,1,2,0.5,1,3\n60000,1,2,0.5,1,3\n300000,1,2,0.5,1,3\n")
    code = main(["backtest", "run", "--data", str(data), "--reports-dir", str(tmp_path)])
    assert code == 2
    assert "bad.csv: line 4: gap: 3 candle(s) missing" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))


def test_an_unknown_parameter_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backtest", "run", "--candles", "100", "--param", "speeed=3", "--reports-dir", str(tmp_path)])
    assert code == 2
    assert "unknown parameter(s): speeed" in capsys.readouterr().err


def test_compare_ranks_runs_by_the_chosen_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = ["--run", "sma_crossover fast=5 slow=20", "--run", "rsi_reversion rsi_period=14"]
    args = ["backtest", "compare", "--candles", "3000", *runs, "--rank-by", "total_return_pct", "--workers", "1"]
    assert main([*args, "--reports-dir", str(tmp_path), "--no-progress"]) == 0
    (table_file,) = tmp_path.glob("*-table.json")
    ranking = json.loads(table_file.read_text())["runs"]
    assert {r["run"] for r in ranking} == {"sma_crossover fast=5 slow=20", "rsi_reversion rsi_period=14"}
    assert ranking[0]["value"] >= ranking[1]["value"]
    assert "ranked by total_return_pct" in capsys.readouterr().out


def test_sweep_tests_the_best_set_on_held_back_candles_and_warns(tmp_path: Path) -> None:
    args = ["backtest", "sweep", "--candles", "4000", "--grid", "fast=3,5", "--grid", "slow=20,30", "--workers", "2"]
    assert main([*args, "--hold-out", "0.25", "--reports-dir", str(tmp_path), "--no-progress"]) == 0
    (best,) = tmp_path.glob("*-best.json")
    (held,) = tmp_path.glob("*-held-back.json")
    best_report, held_report = json.loads(best.read_text()), json.loads(held.read_text())
    assert OVERFIT_WARNING in best_report["notes"]
    assert best_report["run"]["candles"] == 3000 and held_report["run"]["candles"] == 1000
    assert held_report["figures"]["start_ms"] == best_report["figures"]["end_ms"]  # the held-back candles follow
    assert len(json.loads(next(tmp_path.glob("*-table.json")).read_text())["runs"]) == 4


def test_two_worker_processes_give_the_figures_one_process_gives() -> None:
    candles = CandleTable.from_candles(itertools.islice(synthetic_series(4, Decimal("42000"), 60), 2000))
    base = Settings(bot_id="sweep")
    sets = [Candidate(f"fast={f}", base.model_copy(update={"strategy_params": {"fast": str(f)}})) for f in (3, 4, 5, 6)]
    alone = run_all(sets, candles, 60_000, workers=1)
    shared = run_all(sets, candles, 60_000, workers=2)
    assert [o.figures for o in alone] == [o.figures for o in shared]
    assert len({o.figures.final_equity for o in alone}) > 1  # the parameters did change something


def test_walk_forward_trades_each_winner_on_the_next_unseen_window() -> None:
    from tradewire_trader.backtest.walk_forward import compounded_return_pct, walk_forward

    candles = CandleTable.from_candles(itertools.islice(synthetic_series(9, Decimal("42000"), 60), 4000))
    base = Settings(bot_id="wf")
    sets = [Candidate(f"fast={f}", base.model_copy(update={"strategy_params": {"fast": str(f)}})) for f in (3, 5)]
    folds = walk_forward(sets, candles, 60_000, 3, "total_return_pct", workers=1)
    assert len(folds) == 3
    for fold in folds:
        assert fold.out_of_sample.timestamp_ms[0] == fold.in_sample.timestamp_ms[-1] + 60_000  # the next window
        assert len(fold.in_sample) == 1000
    assert folds[-1].out_of_sample.timestamp_ms[-1] == candles.timestamp_ms[-1]
    growth = 1.0
    for fold in folds:
        growth *= 1 + fold.out_of_sample_figures.total_return_pct / 100
    assert compounded_return_pct(folds) == (growth - 1) * 100
