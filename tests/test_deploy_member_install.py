"""Each workspace member, installed alone from its own declared dependencies, imports every module and starts.

The dev environment holds every member's dependencies (the root's dev group lists all of them), so
an import a member forgot to declare works there and fails only where that member is installed alone,
as in its image. Here each member is synced alone, without dev dependencies and not editable, into a
fresh environment (offline, from the uv cache the suite was installed from, as the build rehearsal
does); every module of its package is imported, each first in its own process
(tests/member_import_probe.py), and a member with an entry point answers `--help`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("member_import_probe.py")


def members() -> dict[str, Path]:
    """Every workspace member by project name, read from the root pyproject (new members are covered too)."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    found = {}
    for folder in workspace["members"]:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        found[project["name"]] = ROOT / folder
    return found


MEMBERS = members()


def sync_alone(project: str, venv: Path) -> Path:
    """`uv sync` only this member and what it declares into venv; return the environment's python."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (run the tests through ./tw or `uv run`)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PYTHON"))}
    # This interpreter, offline, no bytecode pass (speed only); installed as in the images, not editable.
    env |= {
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": sys.executable,
        "UV_OFFLINE": "1",
        "UV_COMPILE_BYTECODE": "0",
    }
    # Rebuild tradewire's own wheels: uv's cache key for a member is its pyproject.toml and src/ folder
    # mtimes, so a wheel built before a module was added or edited would be installed again, stale.
    rebuild = [arg for member in MEMBERS for arg in ("--reinstall-package", member)]
    command = [uv, "sync", "--frozen", "--no-dev", "--package", project, "--no-editable", *rebuild]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "network" in result.stderr.lower():
        pytest.skip(f"a locked package is not in the uv cache, and the sync runs offline: {result.stderr}")
    assert result.returncode == 0, result.stderr
    return venv / "bin" / "python"


SETTINGS = ("TRADER_", "GATEWAY_", "DASHBOARD_", "REDIS_URL")
# Files a member writes go under tmp_path; an entry point that served instead of answering --help
# would bind a free port and find no Redis (port 9, discard), never this machine's.
QUIET = {"GATEWAY_PORT": "0", "DASHBOARD_PORT": "0", "REDIS_URL": "redis://127.0.0.1:9/0"}


def run_alone(python: Path, args: list[str], tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run the member's python isolated (-I: no PYTHONPATH, no user site, no script or working dir on
    sys.path), with none of this environment's service settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "UV_", *SETTINGS))}
    env |= QUIET | {"DASHBOARD_DATA_DIR": str(tmp_path / "dashboard")}
    return subprocess.run(
        [str(python), "-I", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("project", sorted(MEMBERS))
def test_member_installed_alone_imports_every_module_and_answers_help(project: str, tmp_path: Path) -> None:
    folder = MEMBERS[project]
    package = project.replace("-", "_")
    python = sync_alone(project, tmp_path / "venv")

    result = run_alone(python, [str(PROBE), package], tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.splitlines()[-1])
    assert not probe["failures"], "\n".join(f"--- {name}\n{error}" for name, error in probe["failures"].items())
    # Every module of the source tree was installed and imported (none left out of the wheel or the walk).
    source = folder / "src"
    in_source = {
        ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(".__init__")
        for path in (source / package).rglob("*.py")
    }
    assert in_source == set(probe["modules"])

    if (folder / "src" / package / "__main__.py").exists():
        # Short: a --help that starts serving instead fails here with TimeoutExpired.
        result = run_alone(python, ["-m", package, "--help"], tmp_path, timeout=20)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage:"), result.stdout
