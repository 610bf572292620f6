"""The three service images, built from the real Dockerfiles with the repository root as context."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tradewire_stack.engine import Engine
from tradewire_stack.project import ROOT, dockerfile, image, services
from tradewire_stack.steps import step


@dataclass(frozen=True)
class Built:
    service: str
    image: str
    seconds: float
    size: int  # bytes, as the engine reports the image


def build_all(engine: Engine) -> list[Built]:
    return [build(engine, service) for service in services()]


def build(engine: Engine, service: str) -> Built:
    tag = image(service)
    with step(f"build {tag}"):
        started = time.monotonic()
        result = engine.run(
            "build", *engine.build_args(), "-f", str(dockerfile(service)), "-t", tag, str(ROOT), check=False
        )
        seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"building {tag} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return Built(service, tag, seconds, engine.image_size(tag))


def table(built: list[Built]) -> str:
    lines = [f"{'image':28} {'build':>8} {'size':>9}"]
    lines += [f"{b.image:28} {b.seconds:7.1f}s {b.size / 1e6:7.0f} MB" for b in built]
    return "\n".join(lines)
