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
    """The base settings with these parameters, validated as if given on the command line: a trader
    setting by its name (stoploss_pct, order_size, ...), anything else a parameter of the strategy."""
    settings = {name: value for name, value in overrides.items() if name in Settings.model_fields}
    params = {name: str(value) for name, value in overrides.items() if name not in Settings.model_fields}
    if params and "strategy_params" not in Settings.model_fields:
        raise ValueError(f"unknown parameter(s): {', '.join(params)}")
    values = {**base.model_dump(), **settings}
    if params:
        values["strategy_params"] = {**values.get("strategy_params", {}), **params}
    try:
        result = Settings.model_validate(values)
    except ValidationError as error:
        raise ValueError(f"parameters {overrides}: {error}") from None
    check_strategy(result)
    return result


def check_strategy(settings: Settings) -> None:
    """Load the strategy with its parameters now, so a wrong name or value stops the run before it starts."""
    from tradewire_trader import components

    build = getattr(components, "build_strategy", None)
    if build is None:
        return
    try:
        build(settings)
    except (ValueError, ValidationError) as error:  # the loader's StrategyNotLoaded is a ValueError
        raise ValueError(str(error)) from None


def label(strategy: str, overrides: dict[str, Any]) -> str:
    return " ".join([strategy, *(f"{name}={value}" for name, value in overrides.items() if name != "strategy")])
