"""The one command each service runs: in its image (CMD) and natively (the tests' process launchers).

`tests/deploy_entrypoint_test.py` holds both sides to this table: every Dockerfile's CMD must equal
its entry, and every place the test suite starts a service process must start it the same way.
"""

from __future__ import annotations

import sys

ENTRYPOINTS: dict[str, tuple[str, ...]] = {
    "trader": ("python", "-m", "tradewire_trader", "run"),
    "gateway": ("python", "-m", "tradewire_gateway"),
    "dashboard": ("python", "-m", "tradewire_dashboard", "serve"),
    "notifier": ("python", "-m", "tradewire_notifier"),
}


def module(service: str) -> str:
    """The package `python -m` runs for this service, e.g. `tradewire_trader`."""
    return ENTRYPOINTS[service][2]


def subcommand(service: str) -> tuple[str, ...]:
    """What follows `-m <module>` in the entry command (empty for the gateway)."""
    return ENTRYPOINTS[service][3:]


def native_argv(service: str, python: str = sys.executable) -> list[str]:
    """The entry command with this interpreter instead of the image's `python`."""
    return [python, *ENTRYPOINTS[service][1:]]
