"""The compose files as Compose itself sees them after `include`: for static checks, without Docker.

Each included file keeps its own directory for relative paths (build contexts, env files, bind
mounts), as the Compose Specification says; services, volumes and networks from every file are merged
into one project, and a name defined twice is an error unless both definitions are identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev group


@dataclass(frozen=True)
class Service:
    name: str
    spec: dict[str, Any]
    directory: Path  # the directory of the compose file that defines it

    def path(self, relative: str) -> Path:
        return (self.directory / relative).resolve()

    def env_files(self) -> list[Path]:
        entries = self.spec.get("env_file", [])
        entries = [entries] if isinstance(entries, str) else entries
        return [self.path(entry if isinstance(entry, str) else entry["path"]) for entry in entries]

    def depends_on(self) -> list[str]:
        value = self.spec.get("depends_on", [])
        return list(value)  # the list form and the mapping form both iterate over service names

    def named_volumes(self) -> list[str]:
        names = []
        for entry in self.spec.get("volumes", []):
            source = entry.split(":", 1)[0] if isinstance(entry, str) else entry.get("source", "")
            if source and not source.startswith((".", "/", "~")):
                names.append(source)
        return names

    def container_ports(self) -> list[int]:
        ports = []
        for entry in self.spec.get("ports", []):
            target = str(entry).rsplit(":", 1)[-1] if not isinstance(entry, dict) else str(entry["target"])
            ports.append(int(target.split("/")[0]))
        return ports


@dataclass
class Project:
    files: list[Path] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    volumes: dict[str, Any] = field(default_factory=dict)


def read(path: Path) -> dict[str, Any]:
    model = yaml.safe_load(path.read_text())
    if not isinstance(model, dict):
        raise ValueError(f"{path}: a compose file is a mapping")
    return model


def include_paths(path: Path, model: dict[str, Any]) -> list[Path]:
    paths = []
    for entry in model.get("include", []):
        files = entry if isinstance(entry, str) else entry["path"]
        first = files if isinstance(files, str) else files[0]
        paths.append((path.parent / first).resolve())
    return paths


def load(path: Path, project: Project | None = None, chain: tuple[Path, ...] = ()) -> Project:
    path = path.resolve()
    if path in chain:
        raise ValueError(f"include cycle: {' -> '.join(map(str, (*chain, path)))}")
    project = project or Project()
    model = read(path)
    project.files.append(path)
    for included in include_paths(path, model):
        load(included, project, (*chain, path))
    for name, spec in (model.get("services") or {}).items():
        service = Service(name, spec or {}, path.parent)
        known = project.services.get(name)
        if known is not None and (known.spec, known.directory) != (service.spec, service.directory):
            raise ValueError(f"service {name!r} is defined twice, differently ({known.directory}, {path})")
        project.services[name] = service
    for name, spec in (model.get("volumes") or {}).items():
        project.volumes[name] = spec
    return project
