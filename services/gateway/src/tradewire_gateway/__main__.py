"""`python -m tradewire_gateway [--host H] [--port P]`: serve the command API and event WebSocket with uvicorn.

Every setting comes from the `GATEWAY_*` environment (docs/settings.md); the flags override the two
an operator changes most. With no flags it serves, as the image's command does.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn
from pydantic import ValidationError

from tradewire_gateway.app import create_app, server_options
from tradewire_gateway.settings import Settings
from tradewire_runtime.heap import prepare_for_serving
from tradewire_runtime.logs import configure_logging
from tradewire_schemas.wire import describe


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m tradewire_gateway", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    cli.add_argument("--host", help="interface to bind (env GATEWAY_HOST, default 127.0.0.1)")
    cli.add_argument("--port", type=int, help="port (env GATEWAY_PORT, default 8002)")
    return cli


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(**{name: value for name, value in vars(args).items() if value is not None})


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except ValidationError as error:
        # Field by field, without the values: pydantic's own text would echo a too-short token.
        print(f"invalid settings: {describe(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    prepare_for_serving()  # rare, short full GC pauses with many clients (tradewire_runtime.heap)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our handlers: one format for uvicorn's lines and ours
        **server_options(settings),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
