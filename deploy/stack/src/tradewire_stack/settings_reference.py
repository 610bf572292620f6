"""Write docs/settings.md: every setting of every service, as the environment variable that sets it.

    uv run python -m tradewire_stack.settings_reference           # rewrite docs/settings.md
    uv run python -m tradewire_stack.settings_reference --check   # exit 1 when docs/settings.md is out of date

The tables come from the services' own `Settings` classes (prefix + field name; nested models such as
the bus config with `__`), so the reference cannot drift from the code without the check failing.
"""

from __future__ import annotations

import argparse
import difflib
import enum
import importlib
import json
import sys
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import AliasChoices, BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, NoDecode

from tradewire_stack.project import ROOT

OUTPUT = ROOT / "docs" / "settings.md"

SERVICES: dict[str, str] = {
    "trader": "tradewire_trader.settings:Settings",
    "backtest": "tradewire_trader.backtest.backtest_settings:BacktestSettings",
    "gateway": "tradewire_gateway.settings:Settings",
    "dashboard": "tradewire_dashboard.config:Settings",
    "notifier": "tradewire_notifier.settings:Settings",
}

BOUNDS: dict[type, tuple[str, str]] = {  # constraint class: (symbol, attribute holding the bound)
    annotated_types.Gt: (">", "gt"),
    annotated_types.Ge: ("≥", "ge"),
    annotated_types.Lt: ("<", "lt"),
    annotated_types.Le: ("≤", "le"),
    annotated_types.MinLen: ("min length", "min_length"),
    annotated_types.MaxLen: ("max length", "max_length"),
}


@dataclass(frozen=True)
class Row:
    variables: tuple[str, ...]  # the first is the canonical name; the others are accepted too
    type: str
    default: str
    description: str


def settings_class(service: str) -> type[BaseSettings]:
    module_name, _, class_name = SERVICES[service].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, BaseSettings)):
        raise TypeError(f"{SERVICES[service]} is not a pydantic-settings class")
    return cls


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # e.g. a discriminated union: name what it annotates
        return type_name(typing.get_args(annotation)[0])
    if origin is Literal:
        return " \\| ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        options = [type_name(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = type(None) in typing.get_args(annotation)
        return " or ".join(options) + (" (optional)" if optional else "")
    if origin in (list, set, frozenset, tuple):
        (item, *_) = typing.get_args(annotation) or (Any,)
        return f"JSON list of {type_name(item)}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f"`{member.value}`" for member in annotation)
    names = {
        str: "text",
        int: "integer",
        float: "number",
        bool: "boolean",
        Decimal: "decimal",
        Path: "path",
        SecretStr: "secret",
    }
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", str(annotation))


def constraints(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for kind, (symbol, attribute) in BOUNDS.items():
            if isinstance(item, kind):
                parts.append(f"{symbol} {getattr(item, attribute)}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            parts.append(f"matches `{pattern}`")
    return ", ".join(parts)


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "*(required)*"
    else:
        value = field.default
    if value is None:
        return "*(unset)*"
    if isinstance(value, SecretStr):  # never print a secret, not even a default one
        return "*(empty)*" if not value.get_secret_value() else "*(hidden)*"
    if value == "":
        return "*(empty)*"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return f"`{json.dumps([getattr(item, 'value', item) for item in value])}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def variables(prefix: str, name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        names = [choice.upper() for choice in alias.choices if isinstance(choice, str)]
    elif isinstance(alias, str):
        names = [alias.upper()]
    else:
        names = [f"{prefix}{name}".upper()]
    # A lower-case alias such as `redis_url` is for keyword construction; as an environment variable it
    # is the same as the upper-case one (names are case-insensitive), so list each name once.
    return tuple(dict.fromkeys(names))


def rows(model: type[BaseModel], prefix: str, delimiter: str) -> list[Row]:
    result: list[Row] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested.append((name, annotation))
            continue
        kind = type_name(annotation)
        if any(item is NoDecode or isinstance(item, NoDecode) for item in field.metadata):  # read as plain text
            kind = kind.replace("JSON list of", "comma-separated list of")
        bounds = constraints(field)
        result.append(
            Row(
                variables=variables(prefix, name, field),
                type=f"{kind} ({bounds})" if bounds else kind,
                default=default_text(field),
                description=(field.description or "").replace("|", "\\|"),
            )
        )
    for name, sub_model in nested:
        result.extend(rows(sub_model, f"{prefix}{name}{delimiter}".upper(), delimiter))
    return result


def naming(service: str) -> tuple[str, str]:
    """The service's environment prefix and nested delimiter."""
    config = settings_class(service).model_config
    return config.get("env_prefix", ""), config.get("env_nested_delimiter") or "__"


def service_rows(service: str) -> list[Row]:
    return rows(settings_class(service), *naming(service))


def environment_variables(service: str) -> set[str]:
    """Every environment variable name the service's settings read."""
    return {name for row in service_rows(service) for name in row.variables}


def table(service: str) -> str:
    prefix, delimiter = naming(service)
    lines = [
        f"## {service}",
        "",
        f"`{SERVICES[service].replace(':', '.')}`; prefix `{prefix}`, nested settings joined with `{delimiter}`.",
        "",
        "| Environment variable | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for row in service_rows(service):
        names = "<br>".join(f"`{name}`" for name in row.variables)
        lines.append(f"| {names} | {row.type} | {row.default} | {row.description} |")
    return "\n".join(lines)


def render() -> str:
    header = [
        "# Settings reference",
        "",
        "<!-- Generated by tradewire_stack.settings_reference from each service's Settings class: do not edit",
        "     by hand; regenerate with `uv run python -m tradewire_stack.settings_reference`. -->",
        "",
        "Every setting of every service, by the environment variable that sets it. Where a row lists two",
        "names, the first wins when both are set (e.g. `TRADER_REDIS_URL` over the shared `REDIS_URL`).",
        "Lists and tokens are JSON. Names are case-insensitive. The trader's `run` flags override these.",
        "",
    ]
    return "\n".join(header + [f"{table(service)}\n" for service in SERVICES])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current == text:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True), str(args.output), "generated"
            )
        )
        print(
            f"\n{args.output} is out of date: run `uv run python -m tradewire_stack.settings_reference`.",
            file=sys.stderr,
        )
        return 1
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
