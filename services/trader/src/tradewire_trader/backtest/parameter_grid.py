"""A grid of parameter sets: `fast=5,10,20 slow=50,100` -> every combination, as settings overrides.

Without a grid on the command line, a sweep uses the values the strategy's parameters declare, Freqtrade's
hyperopt spaces in pydantic words: `fast: int = Field(5, ge=1, json_schema_extra=sweep(3, 5, 8, 13))`
(`sweep` from tradewire_trader.strategies).
"""

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


def declared_grid(strategy: str) -> list[str]:
    """`name=v1,v2,...` for every parameter of the strategy that declares values to sweep."""
    from tradewire_trader.strategies import load_strategy_class
    from tradewire_trader.strategies.loader import params_model

    axes = []
    for name, field in params_model(load_strategy_class(strategy)).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        values = extra.get("sweep")
        if isinstance(values, list) and values:
            axes.append(f"{name}={','.join(str(v) for v in values)}")
    return axes


def sweep_candidates(base: Settings, assignments: list[str] | None, console: Any) -> list[Any]:
    """The sweep's parameter sets: the grid given, else the strategy's declared one. Combinations of a
    declared grid that the strategy refuses (fast >= slow) are left out and counted; a given grid's are errors."""
    from tradewire_trader.backtest.parallel_runs import Candidate

    declared = not assignments
    axes = declared_grid(base.strategy) if declared else list(assignments or [])
    if not axes:
        raise ValueError(
            f"{base.strategy} declares no values to sweep: "
            "give --grid name=v1,v2 (or declare them: docs/backtesting.md)"
        )
    candidates, refused = [], 0
    for overrides in grid(axes):
        try:
            candidates.append(Candidate(label(base.strategy, overrides), apply(base, overrides)))
        except ValueError:
            if not declared:
                raise
            refused += 1
    if declared:
        console.print(
            f"grid declared by {base.strategy}: {' '.join(axes)} ({refused} combination(s) it refuses left out)"
        )
    if not candidates:
        raise ValueError("no parameter set of the grid is valid")
    return candidates
