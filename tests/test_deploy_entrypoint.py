"""Each image runs the very command the test suite runs natively (tradewire_stack.entrypoints is the table).

Both sides are read from the source: the Dockerfiles' CMD, and every place in the code and tests that
starts a service process (`[python, "-m", "tradewire_trader", "run", ...]`, `_spawn(["tradewire_gateway"])`,
...) as well as the justfile's run recipes. Renaming a subcommand on either side fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tradewire_stack import compose_project, dockerfile, entrypoints
from tradewire_testing.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
# Where processes are launched from: the services' code and tests, the cross-service tests, the
# local runner and the benchmarks.
LAUNCH_SITES = ("services", "tests", "deploy/local", "bench", "shared/testing")


SERVICES = tuple(entrypoints.ENTRYPOINTS)
SIDE_SERVICES = tuple(entrypoints.SIDE_SERVICES)
MODULES = {entrypoints.module(service): service for service in SERVICES}  # side services share an image's module


def constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def launches_in(tree: ast.AST) -> list[tuple[str, tuple[str | None, ...], int]]:
    """(service, the words after the module, line) for each launch of a service module in this source.

    A launch is a list or tuple holding the module name either right after "-m" or as its first item
    (as in `_spawn(["tradewire_trader", "run"])` and `("tradewire_trader", ["run", ...])`). Words that
    are not string literals come back as None.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.List, ast.Tuple)):
            continue
        items = node.elts
        for index, item in enumerate(items):
            name = constant(item)
            if name not in MODULES or not (index == 0 or constant(items[index - 1]) == "-m"):
                continue
            rest = items[index + 1 :]
            if len(rest) == 1 and isinstance(rest[0], (ast.List, ast.Tuple)):
                rest = rest[0].elts  # ("module", ["run", ...])
            found.append((MODULES[name], tuple(constant(word) for word in rest), node.lineno))
    return found


def python_launches() -> list[tuple[Path, str, tuple[str | None, ...], int]]:
    result = []
    for folder in LAUNCH_SITES:
        for path in sorted((ROOT / folder).glob("**/*.py")):
            if ".venv" in path.parts or "node_modules" in path.parts or path == Path(__file__).resolve():
                continue
            for service, words, line in launches_in(ast.parse(path.read_text(), str(path))):
                result.append((path.relative_to(ROOT), service, words, line))
    return result


# One-off programs in a service's package that are not the service and no image runs (a backtest, a
# candle download): the tests and the bench start them by their own subcommand.
TOOLS = {"trader": {"backtest", "download"}}


def follows_entrypoint(service: str, words: tuple[str | None, ...]) -> bool:
    if words and words[0] in TOOLS.get(service, set()):
        return True
    sides = [side for side, (image, _) in entrypoints.SIDE_SERVICES.items() if image == service]
    return any(follows_command(name, words) for name in (service, *sides))


def follows_command(service: str, words: tuple[str | None, ...]) -> bool:
    wanted = entrypoints.subcommand(service)
    given = words[: len(wanted)]
    if wanted:
        return given == wanted
    # No subcommand (the gateway): nothing positional may follow, only options.
    return not words or (words[0] is not None and words[0].startswith("-")) or words[0] is None


@pytest.mark.parametrize("service", SERVICES)
def test_image_command_is_the_entrypoint(service: str) -> None:
    final = dockerfile.parse(ROOT / "deploy" / service / "Dockerfile")[-1]
    assert final.last("ENTRYPOINT") is None, "an ENTRYPOINT would wrap the command"
    command = final.last("CMD")
    assert command is not None
    assert tuple(command.exec_form()) == entrypoints.ENTRYPOINTS[service]


@pytest.mark.parametrize("service", SIDE_SERVICES)
def test_a_side_service_runs_its_command_in_the_image_it_shares(service: str) -> None:
    image_service, command = entrypoints.SIDE_SERVICES[service]
    compose = compose_project.load(ROOT / "deploy" / "compose.yaml")
    spec = compose.services[service].spec
    assert tuple(spec["command"]) == command
    assert spec["image"] == compose.services[image_service].spec["image"]
    assert spec["healthcheck"]["test"][0] == "CMD", "a side service needs a health check of its own"


@pytest.mark.parametrize("service", SERVICES)
def test_the_test_suite_starts_the_service_natively_with_the_entrypoint(service: str) -> None:
    launches = [launch for launch in python_launches() if launch[1] == service]
    # The dashboard's tests start it through tradewire_testing's launcher, dashboard_process.py.
    tests_launch = [path for path, *_ in launches if "tests" in path.parts or path.name == "dashboard_process.py"]
    assert tests_launch, f"no test starts {service} as a process: nothing to compare the image with"
    drifted = [f"{path}:{line}: {words}" for path, _, words, line in launches if not follows_entrypoint(service, words)]
    assert drifted == [], f"{service} is started differently from its image's CMD"


@pytest.mark.parametrize("service", SERVICES + SIDE_SERVICES)
def test_the_run_recipe_starts_the_entrypoint(service: str) -> None:
    # `./tw <service>` and the justfile's recipe both run deploy/local/launch.py, which holds the command.
    assert f"launch.py {service} {{{{args}}}}" in (ROOT / "justfile").read_text()
    launch = load_script(ROOT / "deploy" / "local" / "launch.py")
    argv = launch.PROGRAMS[service][0]
    assert argv[:2] == ["-m", entrypoints.module(service)], f"launch.py does not run {service}'s entrypoint"
    assert tuple(argv[2:]) == entrypoints.subcommand(service)


def test_a_drifted_launch_is_caught() -> None:
    # The scanner must see a renamed subcommand and the `_spawn([...])` shape the tests use.
    source = 'Popen([sys.executable, "-m", "tradewire_trader", "serve"])\n_spawn(["tradewire_dashboard", "run"])\n'
    launches = launches_in(ast.parse(source))
    assert [(service, words[:1]) for service, words, _ in launches] == [("trader", ("serve",)), ("dashboard", ("run",))]
    assert not any(follows_entrypoint(service, words) for service, words, _ in launches)
