"""`./tw watch [bot] [--type T ...]`: the live bus as JSON, one event per line.

Reads the events every bot PUBLISHes (what `redis-cli psubscribe 'tw:events:*'` shows, without its
escaping) on this checkout's Redis: `REDIS_URL`, else the one `./tw up` recorded. Piped, each line is
the bus's own envelope (`{"epoch", "offset", "event"}`), ready for `jq`; on a terminal it is indented and
coloured. Ctrl-C ends it.

On a Redis Cluster (`./tw up --cluster`) events are SPUBLISHed on each bot's shard and no pattern hears
them: there it reads through the bus itself (`RedisBus.subscribe`), which follows every bot's shard.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, TextIO, get_args

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

import local_redis

from tradewire_bus.topics import Topics
from tradewire_schemas import EventType

EVENT_TYPES = get_args(EventType)
_KEY = re.compile(r'^(\s*)("[^"]+")(: )', re.MULTILINE)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="./tw watch", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    cli.add_argument("bot", nargs="?", default="*", help="follow only this bot (default: every bot)")
    cli.add_argument(
        "--type",
        dest="types",
        action="append",
        choices=EVENT_TYPES,
        metavar="TYPE",
        help=f"show only events of this type (repeatable): {', '.join(EVENT_TYPES)}",
    )
    cli.add_argument("--namespace", default="tw", help="prefix of the bus's Redis names (default tw)")
    cli.add_argument(
        "--pretty", action=argparse.BooleanOptionalAction, help="indent and colour (default: on a terminal)"
    )
    cli.add_argument("--redis-url", help="Redis to read (default: REDIS_URL, else the one ./tw up recorded)")
    return cli


def render(envelope: dict[str, Any], pretty: bool) -> str:
    if not pretty:
        return json.dumps(envelope, separators=(",", ":"))
    event = envelope.get("event", {})
    header = f"\x1b[1;36m{event.get('type')}\x1b[0m  bot {event.get('bot_id')}  seq {event.get('seq')}"
    body = _KEY.sub(lambda match: f"{match[1]}\x1b[33m{match[2]}\x1b[0m{match[3]}", json.dumps(envelope, indent=2))
    return f"{header}\n{body}"


def follow(url: str, pattern: str, types: set[str] | None, pretty: bool, out: TextIO) -> None:
    client = redis.Redis.from_url(url, decode_responses=True)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe(pattern)
    for message in pubsub.listen():
        envelope = json.loads(message["data"])
        if types is None or envelope.get("event", {}).get("type") in types:
            out.write(render(envelope, pretty) + "\n")
            out.flush()


def is_cluster(url: str) -> bool:
    with redis.Redis.from_url(url) as client:
        try:
            return bool(client.info("cluster").get("cluster_enabled"))
        except redis.ResponseError:  # the embedded fakeredis has no INFO
            return False


def follow_cluster(url: str, bot: str, namespace: str, types: set[str] | None, pretty: bool, out: TextIO) -> None:
    from tradewire_bus import BusConfig, RedisBus
    from tradewire_schemas import Envelope

    async def run() -> None:
        bots = None if bot == "*" else [bot]
        async with RedisBus.connect(url, BusConfig(namespace=namespace)) as bus, bus.subscribe(bots=bots) as events:
            async for item in events:
                if isinstance(item, Envelope) and (types is None or item.event.type in types):
                    out.write(render(json.loads(item.model_dump_json()), pretty) + "\n")
                    out.flush()

    asyncio.run(run())


def _interrupted(*_: object) -> None:
    # One Ctrl-C can arrive twice (the terminal signals `uv run` too, which passes it on): end on the
    # first, and let a second copy not interrupt the clean exit with a traceback and status 130.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, _interrupted)
    args = parser().parse_args(argv)
    url = args.redis_url or local_redis.address()
    topics = Topics(args.namespace)
    pattern = topics.all_bot_events() if args.bot == "*" else topics.bot_events(args.bot)
    pretty = args.pretty if args.pretty is not None else sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(f"watching {pattern} on {url} (Ctrl-C ends)", file=sys.stderr, flush=True)
    types = set(args.types) if args.types else None
    try:
        if is_cluster(url):
            follow_cluster(url, args.bot, args.namespace, types, pretty, sys.stdout)
        else:
            follow(url, pattern, types, pretty, sys.stdout)
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or `| head` has read enough
        return 0
    except (redis.ConnectionError, redis.TimeoutError) as error:
        print(f"./tw watch: cannot read the bus at {url}: {error}. Is ./tw up running?", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
