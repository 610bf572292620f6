"""The Dockerfiles' build stages, rehearsed natively: their COPY and `uv sync` steps, nothing else.

A scratch directory receives exactly what each build stage copies, then its `uv sync` commands run
there offline (from the uv cache the test suite's own environment was installed from). This proves
the image's install works from those inputs alone — the lock, the members' metadata, the declared
members' code — and installs that service without the others. Python, the OS and the runtime stage
are the host's, not the image's: that part is only checked statically.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tradewire_stack import dockerfile, entrypoints

ROOT = Path(__file__).resolve().parents[1]
OTHERS = {
    "trader": {"django", "fastapi"},
    "gateway": {"django", "ccxt"},
    "dashboard": {"fastapi", "ccxt"},
    "notifier": {"django", "fastapi", "ccxt"},
}


def copy_into(workdir: Path, words: list[str]) -> None:
    *sources, destination = [word for word in words if not word.startswith("--")]
    target = workdir / destination
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"COPY source {source} does not exist"
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        else:
            place = target / path.name if destination.endswith("/") else target
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, place)


def rehearse(service: str, tmp_path: Path, edit: Callable[[Path], None] | None = None) -> Path:
    """Run the build stage's COPY and `uv sync` steps in tmp_path; return the environment's python.
    `edit(workdir)` runs after each COPY: a change made to the build context."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (run the tests through ./tw or `uv run`)")
    (stage,) = [s for s in dockerfile.parse(ROOT / "deploy" / service / "Dockerfile") if s.name == "build"]
    workdir, venv = tmp_path / "src", tmp_path / "venv"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    for instruction in stage.instructions:
        if instruction.keyword == "ENV":
            env.update(word.split("=", 1) for word in instruction.words())
        elif instruction.keyword == "COPY" and not any(w.startswith("--from") for w in instruction.words()):
            copy_into(workdir, instruction.words())
            if edit is not None:
                edit(workdir)
        elif instruction.keyword == "RUN" and "uv sync" in instruction.arguments:
            command = [word for word in shlex.split(instruction.arguments) if not word.startswith("--mount")]
            assert command[0] == "uv", command
            # Here: this interpreter instead of the image's, offline, no bytecode pass (speed only).
            env |= {
                "UV_PROJECT_ENVIRONMENT": str(venv),
                "UV_PYTHON": sys.executable,
                "UV_OFFLINE": "1",
                "UV_COMPILE_BYTECODE": "0",
            }
            result = subprocess.run(
                [uv, *command[1:]], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
            )
            if result.returncode != 0 and "network" in result.stderr.lower():
                pytest.skip(f"a locked package is not in the uv cache, and the rehearsal runs offline: {result.stderr}")
            assert result.returncode == 0, result.stderr
    return venv / "bin" / "python"


@pytest.mark.parametrize("service", list(entrypoints.ENTRYPOINTS))
def test_build_stage_installs_the_service_alone_from_its_copied_inputs(service: str, tmp_path: Path) -> None:
    python = rehearse(service, tmp_path)
    module = entrypoints.module(service)
    probe = (
        "import importlib.util, json, sys;"
        f"m = importlib.import_module('{module}.__main__');"
        "names = ['tradewire_trader', 'tradewire_gateway', 'tradewire_dashboard', 'tradewire_notifier',"
        " 'django', 'fastapi', 'ccxt'];"
        "print(json.dumps({'file': m.__file__, 'present': [n for n in names if importlib.util.find_spec(n)]}))"
    )
    result = subprocess.run(
        [str(python), "-c", f"import importlib; {probe}"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["file"]).is_relative_to(tmp_path / "venv"), "installed editable, pointing into the sources"
    assert [name for name in found["present"] if name.startswith("tradewire_")] == [module]
    assert not set(found["present"]) & OTHERS[service], f"{service} image would carry {found['present']}"


def test_a_non_editable_resync_after_an_edit_in_place_installs_the_edited_code(tmp_path: Path) -> None:
    """One module edited in place, nothing else touched, the same uv cache: uv must build the member
    again, not reuse the wheel it built before (its default key, the pyproject's mtime, misses this;
    each member's cache-keys cover its whole src tree)."""
    rehearse("gateway", tmp_path)
    module = tmp_path / "src/services/gateway/src/tradewire_gateway/frames.py"
    marker = f"# edited in place {tmp_path.name}"
    module.write_text(module.read_text() + marker + "\n")
    shutil.rmtree(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env |= {"UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_PYTHON": sys.executable, "UV_OFFLINE": "1"}
    subprocess.run(
        ["uv", "sync", "--frozen", "--no-dev", "--package", "tradewire-gateway", "--no-editable"],
        cwd=tmp_path / "src",
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    installed = next((tmp_path / "venv").glob("lib/python*/site-packages/tradewire_gateway/frames.py"))
    assert marker in installed.read_text(), "uv installed the wheel it had built before the edit"
