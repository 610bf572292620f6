"""Test support shared by every tradewire member: private Redis servers and deadline-bound waiting."""

from tradewire_testing.redis_server import RedisServer, RedisServerMissing, free_port
from tradewire_testing.waiting import eventually, eventually_sync

__all__ = ["RedisServer", "RedisServerMissing", "eventually", "eventually_sync", "free_port"]
