"""The folder of stored reports: `<name>.json` and `<name>.html` side by side, listed newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradewire_trader.backtest.html_page import write_page
from tradewire_trader.backtest.report import read_json, write_json

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class StoredReport:
    name: str
    json_path: Path
    html_path: Path
    report: dict[str, Any]


def default_name(strategy: str, symbol: str, timeframe: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{strategy}-{symbol.replace('/', '_')}-{timeframe}-{stamp}"


def save(report: dict[str, Any], folder: Path) -> StoredReport:
    name = report["name"]
    if not SAFE_NAME.match(name):
        raise ValueError(f"report name {name!r}: use letters, digits, '.', '_' and '-' only")
    json_path = write_json(report, folder / f"{name}.json")
    html_path = write_page(report, folder / f"{name}.html")
    return StoredReport(name, json_path, html_path, report)


def stored(folder: Path) -> list[StoredReport]:
    """Every readable report in the folder, newest first; a file that is not one is skipped."""
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            report = read_json(path)
        except (ValueError, OSError):
            continue
        found.append(StoredReport(path.stem, path, path.with_suffix(".html"), report))
    return sorted(found, key=lambda r: r.report.get("created", ""), reverse=True)
