"""`python -m tradewire_stack images` builds the three service images (and the bases they need);
`clean` removes the private podman's folder with everything in it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from tradewire_stack import bases, images
from tradewire_stack.engine import engine


def home() -> Path:
    """The private podman's folder: TW_STACK_HOME, or tradewire/containers in the user's cache. Not in
    the checkout: the checkout is the images' build context, and a build walks all of it."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("TW_STACK_HOME") or cache / "tradewire" / "containers")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="tradewire-stack", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)
    build = commands.add_parser("images", help="build the trader, gateway and dashboard images")
    build.add_argument(
        "--engine",
        choices=["auto", "docker", "podman"],
        default=os.environ.get("TW_STACK_ENGINE", "auto"),
        help="a Docker Engine, a private podman, or auto: Docker when one answers (TW_STACK_ENGINE)",
    )
    build.add_argument("--no-pull", action="store_true", help="never try a registry: build stand-ins for missing bases")
    commands.add_parser("clean", help=f"remove the private podman's folder ({home()}) and all its images")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "clean":
        clean(home())
        return 0
    with engine(home(), args.engine) as chosen:
        found = bases.ensure_all(chosen, pull=not args.no_pull)
        built = images.build_all(chosen)
    print(f"engine: {chosen.cli}" + (f" (private, in {chosen.home})" if chosen.home else ""))
    for base in found:
        print(f"base {base.name}: {base.origin}")
    print(images.table(built))
    return 0


def clean(folder: Path) -> None:
    if not folder.exists():
        return
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(folder / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(folder / "storage.conf"),
    }
    if shutil.which("podman") and (folder / "storage.conf").exists():
        for command in (["rm", "-a", "-f"], ["volume", "prune", "-f"], ["rmi", "-a", "-f"]):
            subprocess.run(["podman", *command], env=env, check=False, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
