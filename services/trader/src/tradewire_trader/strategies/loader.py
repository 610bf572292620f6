"""Finding a strategy by name, `module:Class` or `path/to/file.py:Class`, and reading its parameters.

Parameters are the fields of the pydantic model the class annotates as `params`. Each is set, in order
of precedence, by a flag `--<name>` (dashes for underscores), by the environment `TRADER_<NAME>`, or by
its default; pydantic validates them, so a wrong value is a clear error naming the parameter.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError

from tradewire_trader.strategies.base import NoParams, Strategy

BUILT_IN = {
    "sma_crossover": "tradewire_trader.strategies.sma_crossover:SmaCrossover",
    "rsi_reversion": "tradewire_trader.strategies.rsi_reversion:RsiReversion",
    "bollinger_reversion": "tradewire_trader.strategies.bollinger:BollingerReversion",
}


class StrategyNotLoaded(ValueError):
    """The named strategy cannot be found, imported or configured; the message says which and why."""


def load_strategy_class(spec: str) -> type[Strategy]:
    """`sma_crossover`, `my_pkg.my_mod:MyStrategy` or `path/to/file.py:MyStrategy`."""
    target = BUILT_IN.get(spec, spec)
    where, _, class_name = target.rpartition(":")
    if not where or not class_name:
        raise StrategyNotLoaded(
            f"unknown strategy {spec!r}: use a built-in ({', '.join(BUILT_IN)}), "
            "module:Class (e.g. my_strategies.trend:Breakout) or path/to/file.py:Class"
        )
    module = _import_file(Path(where)) if where.endswith(".py") else _import_module(where)
    found = getattr(module, class_name, None)
    if not (inspect.isclass(found) and issubclass(found, Strategy)) or found is Strategy:
        raise StrategyNotLoaded(f"{where} has no Strategy subclass named {class_name!r}")
    return found


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise StrategyNotLoaded(f"cannot import strategy module {name!r}: {error}") from error


def _import_file(path: Path) -> Any:
    if not path.is_file():
        # `./tw` runs from the checkout, so a relative path is read from there, not from the caller's folder.
        where = "" if path.is_absolute() else f" (a relative path is read from {Path.cwd()})"
        raise StrategyNotLoaded(f"strategy file {path} does not exist{where}")
    module_name = f"tradewire_user_strategy_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyNotLoaded(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pydantic look their module up here
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise StrategyNotLoaded(f"{path} failed to import: {type(error).__name__}: {error}") from error
    return module


def params_model(strategy_class: type[Strategy]) -> type[BaseModel]:
    hint = get_type_hints(strategy_class).get("params", NoParams)
    usable = inspect.isclass(hint) and issubclass(hint, BaseModel) and hint is not BaseModel
    return hint if usable else NoParams


def read_params(
    strategy_class: type[Strategy], flags: Mapping[str, Any], environ: Mapping[str, str], reserved: set[str]
) -> BaseModel:
    """The parameters from flags, then `TRADER_<NAME>` variables, then defaults; validated."""
    model = params_model(strategy_class)
    clashes = sorted(set(model.model_fields) & reserved)
    if clashes:
        raise StrategyNotLoaded(
            f"{strategy_class.__name__}'s parameters {clashes} have the names of trader settings; rename them"
        )
    unknown = sorted(set(flags) - set(model.model_fields))
    if unknown:
        known = ", ".join(model.model_fields) or "none"
        raise StrategyNotLoaded(f"unknown parameter(s): {', '.join(unknown)} ({strategy_class.__name__} has: {known})")
    values: dict[str, Any] = {}
    for name in model.model_fields:
        if flags.get(name) is not None:
            values[name] = flags[name]
        elif (env := environ.get(f"TRADER_{name.upper()}")) is not None:
            values[name] = env
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))
        raise StrategyNotLoaded(f"invalid parameters for {strategy_class.__name__}: {problems}") from None
