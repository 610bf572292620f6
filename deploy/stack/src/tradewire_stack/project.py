"""What the stack is made of, read from the real deploy/ files: the services with images of their own,
and the images those start from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev group

# This package lives in the checkout (deploy/stack/src/tradewire_stack): the repository root.
ROOT = Path(__file__).resolve().parents[4]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
OVERRIDE_FILE = Path(__file__).with_name("compose.stack.yaml")
# The stack on a Redis Cluster: deploy's override, then the test's own for it.
CLUSTER_FILES = (DEPLOY / "compose.cluster.yaml", Path(__file__).with_name("compose.stack.cluster.yaml"))

_FROM = re.compile(r"^FROM\s+(?:--\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE | re.MULTILINE)


def services() -> list[str]:
    """tradewire's own services: the folders deploy/compose.yaml includes, each with its Dockerfile."""
    spec: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    paths = [entry if isinstance(entry, str) else entry["path"] for entry in spec.get("include", [])]
    folders = [(COMPOSE_FILE.parent / path).parent for path in paths]
    return [folder.name for folder in folders if (folder / "Dockerfile").exists()]


def dockerfile(service: str) -> Path:
    return DEPLOY / service / "Dockerfile"


def image(service: str) -> str:
    """The tag deploy/<service>/compose.yaml gives the service's image."""
    spec: dict[str, Any] = yaml.safe_load((DEPLOY / service / "compose.yaml").read_text())
    return str(spec["services"][service]["image"])


def dockerfile_bases(path: Path) -> list[str]:
    """FROM images of a Dockerfile, without references to its own earlier stages."""
    stages: set[str] = set()
    bases = []
    for match in _FROM.finditer(path.read_text()):
        if match["image"] not in stages and match["image"] not in bases:
            bases.append(match["image"])
        if match["stage"]:
            stages.add(match["stage"])
    return bases


def compose_bases() -> list[str]:
    """Images of deploy/compose.yaml's own services that are built elsewhere (Redis, PostgreSQL); services
    in a profile (Prometheus) are not part of the default stack."""
    spec: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return [
        str(s["image"])
        for s in spec["services"].values()
        if "image" in s and "build" not in s and not s.get("profiles")
    ]


def base_images() -> list[str]:
    names: list[str] = []
    for found in [*(b for s in services() for b in dockerfile_bases(dockerfile(s))), *compose_bases()]:
        if found not in names:
            names.append(found)
    return names
