"""`python -m tradewire_dashboard serve [--host H] [--port P] [--server uvicorn|daphne]`: migrate, create
the demo user in demo mode and serve. Flags override the `DASHBOARD_*` environment.

`python -m tradewire_dashboard record [--host H] [--recorder-port P]`: the recorder, its own process,
storing every trade for the history page (it waits for `serve` to migrate the database).

`python -m tradewire_dashboard manage <django command> ...` runs any Django management command
(e.g. `createsuperuser`) against the same settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from tradewire_dashboard.config import Settings
from tradewire_runtime.heap import prepare_for_serving
from tradewire_runtime.lean_websocket import lean_websocket_protocol
from tradewire_runtime.redis_url import without_password
from tradewire_schemas.wire import describe


def serve(settings: Settings) -> None:
    from django.core.management import call_command

    from tradewire_dashboard.asgi import build_application
    from tradewire_dashboard.demo_user import ensure_demo_user

    call_command("migrate", interactive=False, verbosity=0)
    demo = ensure_demo_user(settings)
    # Bound to every interface (as in a container), the page is still opened through this machine.
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{shown_host}:{settings.port}/"
    if demo is None:
        login = "  no demo user (DASHBOARD_DEMO is off): `python -m tradewire_dashboard manage createsuperuser`\n"
    elif demo[1] is None:
        login = f"  demo user  {demo[0]} (changed since it was created: its password is not shown)\n"
    else:
        login = f"  log in as  {demo[0]}\n  password   {demo[1]}\n"
    print(
        f"\n  tradewire dashboard: {url}\n{login}  ({settings.server}, bus {without_password(settings.redis_url)})\n",
        flush=True,
    )
    application = build_application(settings)
    prepare_for_serving()  # rare, short full GC pauses with many clients (tradewire_runtime.heap)
    if settings.server == "daphne":
        from daphne.server import Server

        Server(
            application,
            endpoints=[f"tcp:port={settings.port}:interface={settings.host}"],
            # Daphne has no lifespan: start the bus and Hub once it listens.
            ready_callable=lambda: asyncio.ensure_future(application.start()),
        ).run()
        return
    import uvicorn

    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_level=settings.log_level,
        ws_max_size=settings.max_frame_bytes,
        ws=lean_websocket_protocol(),  # uvicorn's sans-I/O protocol, ~4 KB less per idle socket
        ws_per_message_deflate=False,  # as the gateway: 18 KB of zlib state per browser for little gain
        proxy_headers=False,
        log_config=None,  # Django's LOGGING (tradewire_runtime.logs) already formats every logger, uvicorn's too
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradewire_dashboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate, create the demo user in demo mode and serve")
    serve_parser.add_argument("--host", help="interface to bind (env DASHBOARD_HOST)")
    serve_parser.add_argument("--port", type=int, help="port (env DASHBOARD_PORT, default 8001)")
    serve_parser.add_argument("--server", choices=["uvicorn", "daphne"], help="ASGI server (env DASHBOARD_SERVER)")
    record_parser = commands.add_parser("record", help="store every trade for the history page (its own process)")
    record_parser.add_argument("--host", help="interface of /healthz and /metrics (env DASHBOARD_HOST)")
    record_parser.add_argument(
        "--recorder-port", type=int, help="port of /healthz and /metrics (env DASHBOARD_RECORDER_PORT, default 8005)"
    )
    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    from tradewire_dashboard.django_config import configure_django

    flags = {name: getattr(args, name, None) for name in ("host", "port", "server", "recorder_port")}
    try:
        settings = Settings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as error:
        print(f"invalid settings: {describe(error)}", file=sys.stderr)  # without the values: secrets
        return 2
    configure_django(settings)
    if args.command == "serve":
        serve(settings)
        return 0
    if args.command == "record":
        from tradewire_dashboard.recorder_process import record, yield_cpu

        # Storing for the history page can wait a few milliseconds; a frame to a browser should not. On
        # the same cores the recorder's batches (CPU and SQLite) otherwise preempt the serving process.
        yield_cpu(settings)
        prepare_for_serving()
        asyncio.run(record(settings))
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"{parser.prog} manage", *args.arguments])
    return 0


if __name__ == "__main__":
    sys.exit(main())
