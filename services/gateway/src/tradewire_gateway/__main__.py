"""`python -m tradewire_gateway`: read the settings once, build the app, serve it with uvicorn."""

from __future__ import annotations

import uvicorn

from tradewire_bus.heap import prepare_for_serving
from tradewire_bus.logs import configure_logging
from tradewire_gateway.app import create_app
from tradewire_gateway.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    prepare_for_serving()  # rare, short full GC pauses with many clients (tradewire_bus.heap)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.ws_max_message_bytes,
        lifespan="on",
        log_config=None,  # keep our handlers: one format for uvicorn's lines and ours
    )


if __name__ == "__main__":
    main()
