"""Numbers written for people: the same cases as the live page's market_numbers.js (checked in
tests/test_dashboard_numbers_browser.py), and the CSV's exact plain decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradewire_dashboard import market_numbers

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "market_number_cases.json").read_text())
# A balance (holding) is written by the live page alone: the server never shows one.
SERVER_CASES = [case for case in CASES if case["fn"] != "holding"]


def _decimal(value: object) -> object:
    return Decimal(value) if isinstance(value, str) and value != "" and value[0] in "-0123456789" else value


@pytest.mark.parametrize("case", SERVER_CASES, ids=lambda case: f"{case['fn']}{case['args']}")
def test_each_number_is_written_by_its_market_rules(case: dict[str, Any]) -> None:
    function = getattr(market_numbers, case["fn"])
    args = [_decimal(arg) for arg in case["args"]]
    assert function(*args, **case.get("kwargs", {})) == case["expect"]


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("0E-12", "0"),
        ("40800.920000000000", "40800.92"),
        ("-5.500000000000", "-5.5"),
        ("1E+3", "1000"),
        ("0.000010000000", "0.00001"),
    ],
)
def test_plain_decimals_are_exact_and_never_exponents(stored: str, written: str) -> None:
    assert market_numbers.plain(Decimal(stored)) == written


def test_plain_writes_nothing_for_a_missing_value() -> None:
    assert market_numbers.plain(None) == ""


def test_the_quote_currency_is_read_from_the_symbol() -> None:
    assert market_numbers.quote_of("BTC/USDT") == "USDT"
    assert market_numbers.quote_of("BTC/USDT:USDT") == "USDT"
    assert market_numbers.quote_of("odd") == ""
