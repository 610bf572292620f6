"""An in-process fakeredis speaking the Redis protocol on a TCP port: `./tw up`'s last resort.

For trying tradewire out on a machine without Redis. Nothing is kept on disk and it is far slower than
a real redis-server; never use it for anything that matters.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from fakeredis import TcpFakeServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=6390, help="port to listen on (default 6390, up's private port)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)

    server = TcpFakeServer((args.host, args.port), server_type="redis", server_version=(7, 0))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True)
    thread.start()
    print(f"embedded fakeredis listening on {args.host}:{args.port} (for trying things out only)", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
