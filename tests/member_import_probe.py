"""Run by a member's own environment (stdlib only): import every module of one package, each in a fresh fork.

    python -I member_import_probe.py tradewire_trader

Prints one JSON object: {"modules": [...], "failures": {module: traceback}}. The member's declared
dependencies are imported once, here (ccxt alone takes 0.6 s, paid once instead of per module); then
each of the package's modules is imported in its own child forked from this process, before any other
module of the package but its parents, so a module that imports only because another one ran first
fails here as it would in a service that imports it alone. A missing dependency fails either way: only
what the member declares is installed.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import pkgutil
import re
import sys
import traceback
from importlib import metadata


def setup_dashboard() -> None:
    """What `python -m tradewire_dashboard` does first: models and views need configured Django apps.
    So config, django_config, apps, models and admin are first imported here, as in the service."""
    from tradewire_dashboard.config import Settings
    from tradewire_dashboard.django_config import configure_django

    configure_django(Settings())


SETUP = {"tradewire_dashboard": setup_dashboard}


def declared_modules(package_name: str) -> list[str]:
    """Top-level modules of the third-party distributions this member declares (not those behind an extra)."""

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    requirements = metadata.requires(package_name.replace("_", "-")) or []
    declared = {canonical(re.split(r"[\[<>=!~;\s]", r, maxsplit=1)[0]) for r in requirements if "extra ==" not in r}
    return sorted(
        module
        for module, distributions in metadata.packages_distributions().items()
        if module.isidentifier() and not module.startswith(("_", "tradewire_"))
        if any(canonical(distribution) in declared for distribution in distributions)
    )


def first_import(name: str) -> str | None:
    try:
        importlib.import_module(name)
    except BaseException:  # SystemExit too: a module must not end the process on import
        return traceback.format_exc()
    return None


def main(package_name: str) -> None:
    failures: dict[str, str] = {}
    # Speed only: a name that fails here (RECORD lists data folders too) is left to the children's imports.
    for name in declared_modules(package_name):
        first_import(name)
    SETUP.get(package_name, lambda: None)()
    package = importlib.import_module(package_name)
    # walk_packages imports subpackages to look inside them; a subpackage that fails is reported here.
    names = [package_name] + [
        info.name
        for info in pkgutil.walk_packages(
            package.__path__, package_name + ".", onerror=lambda name: failures.update({name: traceback.format_exc()})
        )
    ]
    # One child per module (maxtasksperchild=1), forked from this process as it is now.
    with multiprocessing.get_context("fork").Pool(maxtasksperchild=1) as pool:
        outcomes = pool.map(first_import, names, chunksize=1)
    failures |= {name: error for name, error in zip(names, outcomes, strict=True) if error}
    print(json.dumps({"modules": names, "failures": failures}))


if __name__ == "__main__":
    main(sys.argv[1])
