"""The one command each service runs: in its image (CMD) and natively (the tests' process launchers).

`tests/test_deploy_entrypoint.py` holds both sides to these tables: every Dockerfile's CMD must equal
its entry (a side service's compose `command` its own), and every place the test suite starts a
service process must start it one of those ways.
"""

from __future__ import annotations

import sys

ENTRYPOINTS: dict[str, tuple[str, ...]] = {
    "trader": ("python", "-m", "tradewire_trader", "run"),
    "gateway": ("python", "-m", "tradewire_gateway"),
    "dashboard": ("python", "-m", "tradewire_dashboard", "serve"),
    "notifier": ("python", "-m", "tradewire_notifier"),
}

# Services that run another service's image with a command of their own (compose `command:`):
# service -> (the image's service, the command).
SIDE_SERVICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "recorder": ("dashboard", ("python", "-m", "tradewire_dashboard", "record")),
}


def command(service: str) -> tuple[str, ...]:
    """The service's command: its image's CMD, or a side service's own."""
    return SIDE_SERVICES[service][1] if service in SIDE_SERVICES else ENTRYPOINTS[service]


def module(service: str) -> str:
    """The package `python -m` runs for this service, e.g. `tradewire_trader`."""
    return command(service)[2]


def subcommand(service: str) -> tuple[str, ...]:
    """What follows `-m <module>` in the entry command (empty for the gateway)."""
    return command(service)[3:]


def native_argv(service: str, python: str = sys.executable) -> list[str]:
    """The entry command with this interpreter instead of the image's `python`."""
    return [python, *ENTRYPOINTS[service][1:]]
