"""The local cluster starts even when another process takes a port it picked before binding it."""

from __future__ import annotations

import socket

from tradewire_testing.redis_cluster import LocalCluster


def cluster_port(cluster: LocalCluster, index: int) -> int:
    args = cluster.servers[index].extra_args
    return int(args[args.index("--cluster-port") + 1])


def test_a_cluster_port_taken_before_the_node_binds_it_gets_the_node_new_ports() -> None:
    cluster = LocalCluster()
    taken = cluster_port(cluster, 0)
    with socket.socket() as squatter:  # what a whole CI run saw: another socket on the picked port
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        with cluster:
            nodes = cluster.nodes()
            assert cluster_port(cluster, 0) != taken
    assert len(nodes) == 6
    assert sum(node.master for node in nodes) == 3
