"""A grid of parameter sets: `fast=5,10,20 slow=50,100` -> every combination, as settings overrides."""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import ValidationError

from tradewire_trader.settings import Settings


def parse_assignment(text: str) -> tuple[str, list[str]]:
    """'fast=5,10,20' -> ('fast', ['5', '10', '20'])."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise ValueError(f"{text!r}: expected name=value or name=v1,v2,...")
    return name.strip().replace("-", "_"), [v.strip() for v in values.split(",") if v.strip()]


def grid(assignments: list[str]) -> list[dict[str, str]]:
    """Every combination, in a stable order (the last name varies fastest)."""
    axes = [parse_assignment(text) for text in assignments]
    names = [name for name, _ in axes]
    if len(set(names)) != len(names):
        raise ValueError(f"a parameter is given twice: {', '.join(names)}")
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(v for _, v in axes))]


def apply(base: Settings, overrides: dict[str, Any]) -> Settings:
    """The base settings with these parameters, validated as if given on the command line."""
    unknown = [name for name in overrides if name not in Settings.model_fields]
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
    try:
        return Settings.model_validate({**base.model_dump(), **overrides})
    except ValidationError as error:
        raise ValueError(f"parameters {overrides}: {error}") from None


def label(strategy: str, overrides: dict[str, Any]) -> str:
    return " ".join([strategy, *(f"{name}={value}" for name, value in overrides.items() if name != "strategy")])
