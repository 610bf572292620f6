"""SQLite as the services keep their durable state in it (the trader's state and outbox, the notifier's outbox)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on a connection in autocommit mode (`isolation_level=None`): taken at BEGIN
    IMMEDIATE, so a second writer waits at the start instead of failing at COMMIT; rolled back on error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
