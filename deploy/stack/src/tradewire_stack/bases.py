"""The images the Dockerfiles and deploy/compose.yaml start from: the real ones when a registry
answers, else stand-ins built here from Debian's packages and tagged with exactly the same names, so
the Dockerfiles and compose files run unchanged.

A stand-in is what this project needs of the image, not a copy of it: Debian bookworm's Python 3.11,
Redis 7.0 and PostgreSQL 15 (where the real tags are 3.11, 7.4 and 17), and the uv binary of the same
version from its PyPI wheel. The Debian root they share is made with mmdebstrap and carries the host's
certificate authorities, which a build needs to reach the package registries from here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from tradewire_stack.engine import Engine
from tradewire_stack.project import ROOT, base_images
from tradewire_stack.steps import step

DEBIAN_ROOT = "localhost/tradewire-stand-in/debian:bookworm"
HOST_CERTIFICATES = Path("/etc/ssl/certs/ca-certificates.crt")
STAND_INS = files("tradewire_stack") / "stand_ins"
# Each base by repository, and the Containerfile of its stand-in (in stand_ins/).
RECIPES = {
    "docker.io/library/python": "python.Containerfile",
    "docker.io/library/redis": "redis.Containerfile",
    "docker.io/library/postgres": "postgres.Containerfile",
    "ghcr.io/astral-sh/uv": "uv.Containerfile",
}


@dataclass(frozen=True)
class Base:
    name: str  # fully qualified, as the engine stores it
    origin: str  # "present", "pulled" or "stand-in"


def qualified(name: str) -> str:
    """docker.io/library/redis:7.4 for redis:7.4: podman keeps (and looks up) the qualified name."""
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if rest else f"docker.io/library/{name}"


def repository(name: str) -> str:
    return re.sub(r"(:[^/:]+)?(@.+)?$", "", qualified(name))


def ensure_all(engine: Engine, *, pull: bool = True) -> list[Base]:
    """Every base of the project in the engine: already there, pulled, or built as a stand-in."""
    return [ensure(engine, name, pull=pull) for name in base_images()]


def ensure(engine: Engine, name: str, *, pull: bool) -> Base:
    full = qualified(name)
    if engine.has_image(full):
        return Base(full, "present")
    if pull:
        with step(f"pull {full}"):
            try:
                pulled = engine.run("pull", full, check=False, timeout=300).returncode == 0
            except subprocess.TimeoutExpired:
                pulled = False
        if pulled:
            return Base(full, "pulled")
    recipe = RECIPES.get(repository(full))
    if recipe is None:
        raise LookupError(f"{full} cannot be pulled and has no stand-in in tradewire_stack/stand_ins")
    with step(f"stand-in {full}"):
        build_stand_in(engine, full, recipe)
    return Base(full, "stand-in")


def build_stand_in(engine: Engine, name: str, recipe: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tw-stand-in-") as scratch:
        context = Path(scratch)
        for entry in STAND_INS.iterdir():
            shutil.copy(str(entry), context / entry.name)
        if recipe == "uv.Containerfile":
            copy_uv(context, tag=name.rsplit(":", 1)[-1])
        else:
            ensure_debian_root(engine)
        engine.run("build", *engine.build_args(), "-f", str(context / recipe), "-t", name, str(context))


def copy_uv(context: Path, tag: str) -> None:
    """The uv on PATH (./tw installs it from PyPI), if it is the version the Dockerfiles name."""
    uv = shutil.which("uv")
    if uv is None:
        raise LookupError("uv is not on PATH: run through ./tw")
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    if version != tag:
        raise LookupError(f"the Dockerfiles use uv {tag}, the uv on PATH is {version}: align tw's uv_version")
    shutil.copy(uv, context / "uv")


def ensure_debian_root(engine: Engine) -> None:
    if engine.has_image(DEBIAN_ROOT):
        return
    if shutil.which("mmdebstrap") is None:
        raise LookupError("stand-in bases need mmdebstrap: apt-get install mmdebstrap")
    with step("debian bookworm root (mmdebstrap)"), tempfile.TemporaryDirectory(prefix="tw-debian-") as scratch:
        tarball = Path(scratch) / "root.tar"
        install_host_cas = (
            'chroot "$1" sh -c "mv /tmp/host.crt /usr/local/share/ca-certificates/host.crt && update-ca-certificates"'
        )
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=minbase",
                "--include=ca-certificates",
                f"--customize-hook=upload {HOST_CERTIFICATES} /tmp/host.crt",
                f"--customize-hook={install_host_cas}",
                "bookworm",
                str(tarball),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        engine.run("import", str(tarball), DEBIAN_ROOT)
