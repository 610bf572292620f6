"""Messages the engine builds from values it computed itself, constructed without pydantic validation.

Why: every fill makes a `trade_executed`, a stats and a positions update; validating them cost ~45 us per
trade (each exact decimal runs two Python validators), a fifth of the per-trade work of a fast replay,
and proves nothing the types do not already say: the values are Decimals from exact arithmetic on
checked inputs, market times from candle timestamps, symbols from the markets file, the bot id from
the validated settings. What comes from outside (candles, commands, a user strategy's plots and tags)
is still checked where it enters; candle events and refusals (a strategy's words) stay validated.

`pydantic.BaseModel.model_construct` does the same but is slower than validating (it resolves aliases
and defaults per call); this keeps one plan per class. tests/test_trusted.py proves, over generated
values, that what it builds equals what validation builds, byte for byte on the wire.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_MISSING = object()
_plans: dict[type[BaseModel], list[tuple[str, Any, Any]]] = {}


def _plan(model: type[BaseModel]) -> list[tuple[str, Any, Any]]:
    """(name, default, default factory) per field, in declaration order (the order validation keeps)."""
    plan = []
    for name, info in model.model_fields.items():
        default = _MISSING if info.is_required() or info.default_factory is not None else info.default
        plan.append((name, default, info.default_factory))
    _plans[model] = plan
    return plan


def trusted(model: type[M], **values: Any) -> M:
    """`model(**values)` without validation: only for values of the declared types, made by the engine."""
    data: dict[str, Any] = {}
    for name, default, factory in _plans.get(model) or _plan(model):
        value = values.get(name, _MISSING)
        if value is _MISSING:
            if factory is not None:
                value = factory()
            elif default is _MISSING:
                raise TypeError(f"{model.__name__}: {name} is required")
            else:
                value = default
        data[name] = value
    if not values.keys() <= data.keys():
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(values.keys() - data.keys()))}")
    built = model.__new__(model)
    # What pydantic's own model_construct sets: the fields, which were given, no extras, no private state.
    object.__setattr__(built, "__dict__", data)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built
