"""A private Redis Cluster on free ports (three masters, three replicas), for tests and drills.

Each node is a `RedisServer` with cluster mode on, its own directory and a short node timeout, so a
killed master's replica is promoted within a few seconds. `redis-cli --cluster create` joins them (the
tool Redis ships for it); slot moves are done with the plain cluster commands (`CLUSTER SETSLOT`,
`MIGRATE`), the way `redis-cli --cluster reshard` does them, one slot at a time.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from types import TracebackType

import redis
from redis.crc import key_slot

from tradewire_testing.redis_server import RedisServer, RedisServerMissing, free_port


@dataclass(frozen=True)
class ClusterNode:
    node_id: str
    port: int
    master: bool
    master_id: str | None  # a replica's master
    slots: tuple[tuple[int, int], ...]  # inclusive ranges a master owns


def slot_of(key: str) -> int:
    return int(key_slot(key.encode()))


class LocalCluster:
    """`with LocalCluster() as cluster:` starts and joins the nodes; leaving kills them and removes their dirs."""

    def __init__(self, *, persistence: bool = False) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RedisServerMissing("redis-cli is not on PATH (Debian: apt-get install redis-tools)")
        self._cli = cli
        self.masters = 3
        self.replicas = 1
        self._persistence = persistence
        self.servers = [self._node() for _ in range(self.masters * (1 + self.replicas))]

    def _node(self) -> RedisServer:
        args = [
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "1000",
            # A replica may take over at once, however long its master was gone: drills kill a master
            # that was serving a second ago.
            "--cluster-replica-validity-factor", "0",
        ]  # fmt: skip
        # The cluster bus port is set too: by default it is the client port + 10000, which a free port
        # above 55535 does not have.
        return RedisServer(persistence=self._persistence, extra_args=[*args, "--cluster-port", str(free_port())])

    @property
    def url(self) -> str:
        """A live node's URL: the bus finds the others from it."""
        return next((server for server in self.servers if server.running), self.servers[0]).url

    def start(self, *, timeout: float = 30.0) -> None:
        for index in range(len(self.servers)):
            self._start_node(index)
        addresses = [f"127.0.0.1:{server.port}" for server in self.servers]
        subprocess.run(
            [self._cli, "--cluster", "create", *addresses, "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        self.wait_until_ok(timeout=timeout)

    def _start_node(self, index: int, attempts: int = 5) -> None:
        """Start node `index`; a port taken between its pick and the bind (another test's socket took it:
        a whole CI run saw it) gets the node new ports, a few times, instead of failing the test."""
        for attempt in range(attempts):
            try:
                self.servers[index].start()
                return
            except RuntimeError as error:
                if "Address already in use" not in str(error) or attempt == attempts - 1:
                    raise
                self.servers[index].close()
                self.servers[index] = self._node()

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=2)

    def running(self) -> list[RedisServer]:
        return [server for server in self.servers if server.running]

    def nodes(self) -> list[ClusterNode]:
        """What the cluster says about itself (`CLUSTER NODES` of the first live node), failed nodes excluded."""
        for server in self.running():
            with self.client(server.port) as client:
                try:
                    text = client.execute_command("CLUSTER", "NODES")
                except redis.ConnectionError:
                    continue
            return _parse_nodes(text.decode() if isinstance(text, bytes) else str(text))
        raise RuntimeError("no cluster node answers")

    def server_on(self, port: int) -> RedisServer:
        return next(server for server in self.servers if server.port == port)

    def master_of(self, key: str) -> RedisServer:
        """The node that owns the key's slot now (hash tags honoured: `{bot}`)."""
        slot = slot_of(key)
        for node in self.nodes():
            if node.master and any(low <= slot <= high for low, high in node.slots):
                return self.server_on(node.port)
        raise LookupError(f"no master owns slot {slot}")

    def replicas_of(self, master: RedisServer) -> list[RedisServer]:
        nodes = self.nodes()
        master_id = next(node.node_id for node in nodes if node.port == master.port)
        return [self.server_on(node.port) for node in nodes if node.master_id == master_id]

    def wait_until_ok(self, *, timeout: float = 30.0) -> None:
        """Every live node says `cluster_state:ok` and agrees who owns every slot; every replica is in sync."""
        deadline = time.monotonic() + timeout
        while True:
            problem = self._problem()
            if problem is None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cluster is not ok after {timeout}s: {problem}")
            time.sleep(0.05)  # polling servers we started; nothing to wait on but their answers

    def _problem(self) -> str | None:
        views = set()
        for server in self.running():
            with self.client(server.port) as client:
                try:
                    info = client.execute_command("CLUSTER", "INFO").decode()
                    replication = client.info("replication")
                    nodes = client.execute_command("CLUSTER", "NODES").decode()
                except redis.RedisError as error:
                    return f"port {server.port}: {error}"
            if "cluster_state:ok" not in info:
                return f"port {server.port}: not ok"
            if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
                return f"port {server.port}: replica not in sync"
            views.add(tuple(sorted((node.port, node.slots) for node in _parse_nodes(nodes) if node.master)))
        return None if len(views) == 1 else "nodes disagree about slot owners"

    def kill(self, server: RedisServer) -> None:
        """SIGKILL one node, as a crash would."""
        server.kill()

    def wait_for_new_master(self, key: str, old: RedisServer, *, timeout: float = 30.0) -> RedisServer:
        """After `old` died: the replica promoted in its place, once the cluster is ok again."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                owner = self.master_of(key)
                if owner is not old and self._problem() is None:
                    return owner
            except (LookupError, RuntimeError, StopIteration):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no replica took over from port {old.port} within {timeout}s")
            time.sleep(0.05)

    def move_slot(self, key: str, target: RedisServer, *, batch: int = 100) -> None:
        """Move the key's slot to the master `target`, live: what `redis-cli --cluster reshard` does per slot."""
        slot = slot_of(key)
        source = self.master_of(key)
        if source is target:
            return
        ids = {node.port: node.node_id for node in self.nodes()}
        with self.client(source.port) as src, self.client(target.port) as dst:
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", ids[source.port])
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", ids[target.port])
            while keys := src.execute_command("CLUSTER GETKEYSINSLOT", slot, batch):
                src.execute_command("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS", *keys)
            # The new owner first, then the old one, then everyone else (as redis-cli does).
            for port in (target.port, source.port, *(node.port for node in self.nodes() if node.master)):
                with self.client(port) as client:
                    client.execute_command("CLUSTER SETSLOT", slot, "NODE", ids[target.port])
        self.wait_until_ok()

    def flush(self) -> None:
        """Empty every master (replicas follow): a clean cluster for the next test."""
        for node in self.nodes():
            if node.master:
                with self.client(node.port) as client:
                    client.flushall()
                    client.script_flush()

    def close(self) -> None:
        for server in self.servers:
            server.close()

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()


def _parse_nodes(text: str) -> list[ClusterNode]:
    nodes = []
    for line in text.strip().splitlines():
        fields = line.split()
        node_id, address, flags, master_id = fields[0], fields[1], fields[2].split(","), fields[3]
        if "fail" in flags or "noaddr" in flags or "handshake" in flags:
            continue
        port = int(address.split("@")[0].rsplit(":", 1)[1])
        slots = []
        for spec in fields[8:]:
            if spec.startswith("["):  # a slot being migrated or imported: not owned yet
                continue
            low, _, high = spec.partition("-")
            slots.append((int(low), int(high or low)))
        master = "master" in flags
        nodes.append(ClusterNode(node_id, port, master, None if master else master_id, tuple(slots)))
    return nodes
