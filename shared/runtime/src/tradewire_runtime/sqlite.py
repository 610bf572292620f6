"""SQLite as the services keep their durable state in it (the trader's state and outbox, the notifier's outbox)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_durable(path: Path | str, schema: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit, `immediate_transaction`), in WAL mode,
    with `schema` (CREATE ... IF NOT EXISTS) applied.

    synchronous=NORMAL in WAL mode: a commit is in the OS once it returns, so it survives kill -9 of the
    process (the case that matters: a restart); only an OS crash or power loss could lose the last
    commits (FULL would fsync each one).
    """
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db


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
