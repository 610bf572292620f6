"""`python -m tradewire_notifier`: tell people about trades, and take a few commands from Telegram.

Every setting comes from the `NOTIFIER_*` environment (docs/settings.md, docs/notifier.md). With no
destinations configured there is nothing to do: it says how to configure one and exits with code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from prometheus_client import start_http_server
from pydantic import ValidationError
from pydantic_settings import SettingsError

from tradewire_bus import RedisBus
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.service import Notifier
from tradewire_notifier.settings import Settings
from tradewire_notifier.store import Store
from tradewire_runtime.logs import configure_logging

log = logging.getLogger("tradewire.notifier")

NOT_CONFIGURED = (
    "no destinations configured: set NOTIFIER_DESTINATIONS to a JSON list, e.g. "
    """'[{"kind": "webhook", "name": "ops", "url": "https://example.org/hook", "secret": "<16+ characters>"}]' """
    "(docs/notifier.md lists webhook, telegram, discord, slack and email)"
)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m tradewire_notifier", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    what = cli.add_mutually_exclusive_group()
    what.add_argument(
        "--dead-letters", action="store_true", help="print the messages given up on (JSON lines) and exit"
    )
    what.add_argument(
        "--retry-dead", metavar="DESTINATION", help="queue that destination's dead letters again and exit"
    )
    return cli


def dead_letters(settings: Settings, retry: str | None) -> int:
    """Look at (or requeue) what could not be delivered, in the state file, without touching the bus."""
    store = Store(settings.state_file)
    try:
        if retry is not None:
            print(f"{store.requeue_dead(retry)} message(s) of {retry} queued again; they go out at the next start")
            return 0
        for destination, event_id, error, attempts in store.dead_letters():
            print(json.dumps({"destination": destination, "event_id": event_id, "attempts": attempts, "error": error}))
        return 0
    finally:
        store.close()


async def serve(settings: Settings, metrics: NotifierMetrics) -> None:
    store = Store(settings.state_file)
    try:
        async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
            notifier = Notifier(settings, bus, store, metrics)
            names = ", ".join(f"{d.name} ({d.kind})" for d in settings.destinations)
            log.info("notifier running: %s; state in %s", names, settings.state_file)
            await notifier.run()
    finally:
        store.close()


async def run_until_signalled(settings: Settings, metrics: NotifierMetrics) -> None:
    task = asyncio.create_task(serve(settings, metrics))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("notifier stopped")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as error:  # SettingsError: a variable that is not even JSON
        print(f"invalid settings: {error}", file=sys.stderr)
        return 2
    if args.dead_letters or args.retry_dead is not None:
        return dead_letters(settings, args.retry_dead)
    configure_logging(settings.log_level, settings.log_format)
    if not settings.destinations:
        log.error(NOT_CONFIGURED)
        return 2
    metrics = NotifierMetrics()
    if settings.metrics_port:
        try:
            start_http_server(settings.metrics_port, settings.metrics_host, registry=metrics.registry)
        except OSError as error:  # the port is taken: say so before doing anything, like the trader
            log.error(
                "cannot start: cannot serve metrics on %s:%d: %s", settings.metrics_host, settings.metrics_port, error
            )
            return 2
    asyncio.run(run_until_signalled(settings, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
