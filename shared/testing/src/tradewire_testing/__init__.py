"""Test support shared by every tradewire member: private Redis servers and clusters, deadline-bound waiting."""

from tradewire_testing.redis_cluster import LocalCluster, slot_of
from tradewire_testing.redis_server import RedisServer, RedisServerMissing, free_port
from tradewire_testing.waiting import answers_ok, eventually, eventually_sync

__all__ = [
    "LocalCluster",
    "RedisServer",
    "RedisServerMissing",
    "answers_ok",
    "eventually",
    "eventually_sync",
    "free_port",
    "slot_of",
]
