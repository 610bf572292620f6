"""The one Redis address of this checkout: what `./tw up` chose, used by `./tw watch`, `trader`, `redis-cli`.

`up` records the URL of the Redis it uses in `<var>/redis-url` (`<var>` is `var/` in the checkout, or
`TRADEWIRE_VAR_DIR`). Everything else started through `./tw` reads it, so nobody copies a port by hand.
An explicit `REDIS_URL` always wins; with neither, the services' own default applies.

Its private `redis-server` listens on a fixed port (6390, or `TRADEWIRE_REDIS_PORT`) rather than 6379:
6379 is where a machine's own Redis usually is, and that one is not ours to write to.

`python deploy/local/local_redis.py` prints the address everything started from here uses.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_PORT = 6390
SERVICES_DEFAULT = "redis://127.0.0.1:6379/0"  # what every service's Settings falls back to


def var_dir() -> Path:
    return Path(os.environ.get("TRADEWIRE_VAR_DIR") or ROOT / "var")


def private_port() -> int:
    value = os.environ.get("TRADEWIRE_REDIS_PORT", str(PRIVATE_PORT))
    try:
        port = int(value)
    except ValueError:
        raise SystemExit(f"TRADEWIRE_REDIS_PORT must be a port number, not {value!r}") from None
    if not 0 < port < 65536:
        raise SystemExit(f"TRADEWIRE_REDIS_PORT must be between 1 and 65535, not {port}")
    return port


def record_file() -> Path:
    return var_dir() / "redis-url"


def record(url: str) -> Path:
    path = record_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")
    return path


def recorded() -> str | None:
    try:
        return record_file().read_text().strip() or None
    except FileNotFoundError:
        return None


def address() -> str:
    """`REDIS_URL` if set, else what `up` recorded, else the services' default."""
    return os.environ.get("REDIS_URL") or recorded() or SERVICES_DEFAULT


if __name__ == "__main__":
    print(address())
