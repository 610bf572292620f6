"""`python -m tradewire_gateway`: read the settings once, build the app, serve it with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from tradewire_gateway.app import create_app
from tradewire_gateway.settings import Settings


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.ws_max_message_bytes,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
