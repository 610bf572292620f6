"""The rooms' walls (docs/architecture.md): services reach Redis only through the bus's public API and
catch only its exceptions, never import each other, and nothing imports what only tests may."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "src").is_dir())
# The bus's public surface: the package itself and its fan-out subpackage (the Hub, RenderedCache).
BUS_PUBLIC = {"tradewire_bus", "tradewire_bus.fanout"}
# Allowed to import redis directly, and why. Empty: no service needs to.
REDIS_ALLOWED: dict[str, str] = {}


def modules(service: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / "services" / service / "src").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), str(path))


def imported(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_redis_nor_the_bus_internals(service: str) -> None:
    wrong = []
    for path, tree in modules(service):
        where = path.relative_to(ROOT)
        for name, line in imported(tree):
            top = name.split(".")[0]
            if top == "redis" and str(where) not in REDIS_ALLOWED:
                wrong.append(f"{where}:{line}: import {name} (use the bus and BusUnavailable)")
            if top == "tradewire_bus" and name not in BUS_PUBLIC:
                wrong.append(f"{where}:{line}: import {name} (a private module of the bus)")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_reaches_into_the_buss_redis_client(service: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}"
        for path, tree in modules(service)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"redis", "_redis"}
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_import_each_other_nor_test_support(service: str) -> None:
    others = {f"tradewire_{name}" for name in SERVICES if name != service} | {"tradewire_testing"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: import {name}"
        for path, tree in modules(service)
        for name, line in imported(tree)
        if name.split(".")[0] in others
    ]
    assert not wrong, "\n".join(wrong)


def test_the_walls_are_checked_where_they_could_be_broken() -> None:
    # Guards the scan itself: it sees the services, and it would see a `redis` import if there were one.
    assert {"trader", "gateway", "dashboard", "notifier"} <= set(SERVICES)
    tree = ast.parse("from redis.asyncio import Redis\nimport tradewire_bus.reads")
    assert [name for name, _ in imported(tree)] == ["redis.asyncio", "tradewire_bus.reads"]


def test_no_test_imports_a_conftest_by_name() -> None:
    """`from conftest import x` finds whichever conftest.py pytest put on sys.path first: alone it is the
    right one, in a whole run another service's (CI failed on it twice). Fixtures are the way in."""
    wrong = []
    for path in sorted(ROOT.glob("**/tests/**/*.py")):
        if ".venv" in path.parts:
            continue
        for name, line in imported(ast.parse(path.read_text(), str(path))):
            if name.split(".")[0] == "conftest":
                wrong.append(f"{path.relative_to(ROOT)}:{line}")
    assert not wrong, wrong
