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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class _Plan:
    """Every field in declaration order (the order validation keeps), with its default or `_MISSING`."""

    template: dict[str, Any]
    factories: tuple[tuple[str, Callable[..., Any]], ...]
    required: tuple[str, ...]


_plans: dict[type[BaseModel], _Plan] = {}


def _plan(model: type[BaseModel]) -> _Plan:
    template: dict[str, Any] = {}
    factories: list[tuple[str, Callable[..., Any]]] = []
    required: list[str] = []
    for name, info in model.model_fields.items():
        template[name] = _MISSING if info.is_required() or info.default_factory is not None else info.default
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        elif info.is_required():
            required.append(name)
    plan = _plans[model] = _Plan(template, tuple(factories), tuple(required))
    return plan


def trusted(model: type[M], **values: Any) -> M:
    """`model(**values)` without validation: only for values of the declared types, made by the engine."""
    plan = _plans.get(model) or _plan(model)
    # The template's order, the given values in it: one C-level copy and update instead of a loop per field.
    data = plan.template.copy()
    data.update(values)
    if len(data) != len(plan.template):
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(values.keys() - plan.template.keys()))}")
    for name, factory in plan.factories:
        if data[name] is _MISSING:
            data[name] = factory()
    for name in plan.required:
        if data[name] is _MISSING:
            raise TypeError(f"{model.__name__}: {name} is required")
    built = model.__new__(model)
    # What pydantic's own model_construct sets: the fields, which were given, no extras, no private state.
    object.__setattr__(built, "__dict__", data)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built
