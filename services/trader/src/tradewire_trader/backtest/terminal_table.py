"""The report as tables in the terminal (rich): the figures first, then per symbol, exit reason and month."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from tradewire_trader.backtest.report import OVERFIT_WARNING


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours:02d}:{minutes:02d}" if days else f"{hours}:{minutes:02d}"


def number(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.{digits}f}{suffix}"


def day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def figures_table(report: dict[str, Any]) -> Table:
    f, run = report["figures"], report["run"]
    quote = run["quote"]
    dd = f["max_drawdown"]
    params = ", ".join(f"{k}={v}" for k, v in run["parameters"].items())
    table = Table(
        title=f"Backtest {report['name']}: {run['strategy']} ({params}) "
        f"on {', '.join(run['symbols'])} {run['timeframe']}"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    rules = ", ".join(f"{name}={value}" for name, value in run.get("risk", {}).items()) or "none"
    rows = [
        ("exits and limits", rules),
        (
            "period",
            f"{day(f['start_ms'])} -> {day(f['end_ms'])} UTC ({f['days']:.1f} days, {run['candles']:,} candles)",
        ),
        ("starting / final equity", f"{number(f['starting_equity'])} / {number(f['final_equity'])} {quote}"),
        ("total return", number(f["total_return_pct"], suffix=" %")),
        ("annualised return (CAGR)", number(f["annualised_return_pct"], suffix=" %")),
        ("buy and hold, same period", number(f["buy_and_hold_pct"], suffix=" %")),
        ("max drawdown", f"{number(abs(dd['value']))} {quote} ({number(abs(dd['pct']), suffix=' %')})"),
        ("  from peak to trough", f"{day(dd['peak_ms'])} -> {day(dd['trough_ms'])}"),
        ("  longest under water", duration(dd["longest_underwater_s"])),
        ("Sharpe", number(f["sharpe"])),
        ("Sortino", number(f["sortino"])),
        ("Calmar", number(f["calmar"])),
        ("trades (wins / losses)", f"{f['trades']} ({f['wins']} / {f['losses']})"),
        ("win rate", number(f["win_rate_pct"], 1, " %")),
        (
            "profit factor",
            "inf (no loss)" if f["profit_factor"] is None and f["trades"] else number(f["profit_factor"]),
        ),
        ("expectancy per trade", f"{number(f['expectancy'], 4)} {quote} ({number(f['expectancy_pct'], 3, ' %')})"),
        ("average trade duration", duration(f["average_duration_s"])),
        ("exposure (time in market)", number(f["exposure_pct"], 1, " %")),
        ("trades per day", number(f["trades_per_day"])),
        ("fees paid", f"{number(f['fees_paid'])} {quote}"),
        ("orders refused", str(run["refused_orders"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    table.caption = f["annualisation"]
    return table


def breakdown_table(title: str, rows: list[dict[str, Any]], quote: str) -> Table:
    table = Table(title=title)
    for column in ("", "trades", "win rate", f"profit {quote}", "avg profit", "avg duration"):
        table.add_column(column, justify="left" if not column else "right")
    for row in rows:
        table.add_row(
            row["key"],
            str(row["trades"]),
            number(row["win_rate_pct"], 1, " %"),
            number(float(row["profit"])),
            number(row["average_profit_pct"], 3, " %"),
            duration(row["average_duration_s"]),
        )
    return table


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    quote = report["run"]["quote"]
    console.print(figures_table(report))
    console.print(breakdown_table("per symbol", report["per_symbol"], quote))
    console.print(breakdown_table("per exit reason", report["per_exit_reason"], quote))
    console.print(breakdown_table("per month (of the exit)", report["per_month"], quote))
    for note in report["notes"]:
        console.print(f"[bold yellow]note:[/] {note}" if note != OVERFIT_WARNING else f"[bold red]warning:[/] {note}")
