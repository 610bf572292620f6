"""`./tw up --cluster`: a local Redis Cluster of three masters and three replicas instead of one Redis.

Six redis-servers on consecutive ports from 6390 (`TRADEWIRE_REDIS_PORT`), each with its own directory
under var/redis-cluster/ (append-only file and nodes.conf, so a second `up --cluster` finds the same
cluster), and its cluster bus port 1000 above. The first time they are joined with
`redis-cli --cluster create`. Every service gets the first node's URL and finds the others itself.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

NODES = 6
BUS_PORT_OFFSET = 1000  # the default (+10000) leaves no room above port 55535; this keeps it near


def node_names() -> list[str]:
    return [f"redis-{n + 1}" for n in range(NODES)]


def commands(binary: str, base_port: int, data: Path) -> dict[str, list[str]]:
    found = {}
    for n, name in enumerate(node_names()):
        port = base_port + n
        folder = data / f"node-{port}"
        folder.mkdir(parents=True, exist_ok=True)
        found[name] = [
            binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
            "--appendonly", "yes", "--save", "",
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "5000", "--cluster-port", str(port + BUS_PORT_OFFSET),
        ]  # fmt: skip
    return found


def _cluster_state(port: int) -> str:
    try:
        with redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=2) as client:
            info = client.execute_command("CLUSTER", "INFO").decode()
    except (redis.RedisError, OSError):
        return "unreachable"
    known = next((line.split(":")[1] for line in info.splitlines() if line.startswith("cluster_known_nodes")), "0")
    if int(known) < NODES:
        return "not joined"
    return "ok" if "cluster_state:ok" in info else "joining"


def form(base_port: int, say: object, timeout_s: float = 60.0) -> None:
    """Join the six nodes if they are not a cluster yet, then wait until every one says ok."""
    ports = [base_port + n for n in range(NODES)]
    if _cluster_state(ports[0]) == "not joined":
        cli = shutil.which("redis-cli")
        if cli is None:
            raise SystemExit("tradewire up --cluster: redis-cli is not on PATH (Debian: apt-get install redis-tools)")
        if callable(say):
            say(f"Redis Cluster: joining ports {ports[0]}-{ports[-1]} (3 masters, 3 replicas)")
        addresses = [f"127.0.0.1:{port}" for port in ports]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=timeout_s,
        )
    deadline = time.monotonic() + timeout_s
    while any(_cluster_state(port) != "ok" for port in ports):
        if time.monotonic() > deadline:
            states = {port: _cluster_state(port) for port in ports}
            raise SystemExit(f"tradewire up --cluster: the cluster is not ok after {timeout_s:.0f} s: {states}")
        time.sleep(0.1)  # polling servers we started; nothing else to wait on
