"""`python -m tradewire_dashboard.probe recorder`: the recorder's container health check, exit 0 when
its `/healthz` on `DASHBOARD_RECORDER_PORT` answers 200, 1 otherwise (with the reason on stderr).

A module rather than a `python -c "..."` one-liner because podman's Docker-compatible API (the one
Compose talks to) joins an exec-form health check with spaces and splits it again at every blank:
`python -c "import urllib.request; ..."` ran as `python -c import` there and never passed. Every word
of this command is free of blanks, so Docker and podman run the same thing.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from tradewire_dashboard.config import Settings

PATHS = {"recorder": lambda s: f"http://127.0.0.1:{s.recorder_port}/healthz"}


def check(url: str, timeout: float = 4.0) -> str | None:
    """None when `url` answers 200; otherwise why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read(200).decode(errors='replace').strip()}"
    except OSError as error:
        return str(error)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in PATHS:
        print(f"usage: python -m tradewire_dashboard.probe {{{'|'.join(PATHS)}}}", file=sys.stderr)
        return 2
    url = PATHS[args[0]](Settings())
    problem = check(url)
    if problem is not None:
        print(f"{args[0]} unhealthy ({url}): {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
