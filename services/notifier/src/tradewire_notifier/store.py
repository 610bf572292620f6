"""The notifier's durable state in one SQLite file: the bus cursor, the outbox and the dead letters.

Reading the bus is at-least-once; the outbox makes it exactly-once per destination: a message is keyed
by (destination, event id), and the messages of a batch of events are written in the same transaction
as the cursor that moves past them. After a crash the same events are read again and inserting them
changes nothing; after a send, its rows are marked sent before the next send begins, so a restart
sends nothing that was sent before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tradewire_notifier.messages import Notice
from tradewire_runtime.sqlite import immediate_transaction, open_durable

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursor (bot_id TEXT PRIMARY KEY, epoch TEXT NOT NULL, offset TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    destination TEXT NOT NULL,
    event_id TEXT NOT NULL,
    notice TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',  -- pending, sent, dead
    due REAL NOT NULL,                        -- unix time from which it may be sent
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created REAL NOT NULL,
    sent REAL,
    PRIMARY KEY (destination, event_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (destination, status, due);
"""


@dataclass(frozen=True)
class Pending:
    event_id: str
    notice: Notice
    due: float
    attempts: int
    created: float


def _now() -> float:
    return datetime.now(UTC).timestamp()


class Store:
    def __init__(self, path: Path | str) -> None:
        # One connection, used from the event loop's thread only; each call is a short transaction.
        self._path = path
        # After a power cut the last commits may be lost: then a message may be sent twice, never lost.
        self._db = open_durable(path, SCHEMA)

    def close(self) -> None:
        self._db.close()

    def first_start(self, now: float) -> float:
        """When this state file was first used (unix time): events older than that are not news."""
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('first_start', ?)", (repr(now),))
        row = self._db.execute("SELECT value FROM meta WHERE key = 'first_start'").fetchone()
        return float(row[0])

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def cursors(self) -> dict[str, tuple[str, str]]:
        return {bot: (epoch, offset) for bot, epoch, offset in self._db.execute("SELECT * FROM cursor")}

    def record(
        self,
        cursor: dict[str, tuple[str, str]],
        messages: Iterable[tuple[str, Notice, float]],
        meta: dict[str, str] | None = None,
    ) -> list[str]:
        """Queue (destination, notice, due) messages and move the cursor (and set `meta` values), together.

        Returns the destinations that got a new message (a message queued before is left as it is)."""
        now = _now()
        with immediate_transaction(self._db):
            new = []
            for destination, notice, due in messages:
                inserted = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (destination, event_id, notice, due, created) VALUES (?, ?, ?, ?, ?)",
                    (destination, notice.event_id, notice.model_dump_json(), due, now),
                )
                if inserted.rowcount:
                    new.append(destination)
            self._db.executemany(
                "INSERT INTO cursor VALUES (?, ?, ?) ON CONFLICT (bot_id) DO UPDATE SET epoch=excluded.epoch, "
                "offset=excluded.offset",
                [(bot, epoch, offset) for bot, (epoch, offset) in cursor.items()],
            )
            self._db.executemany(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                list((meta or {}).items()),
            )
        return new

    def due(self, destination: str, now: float, limit: int) -> list[Pending]:
        rows = self._db.execute(
            "SELECT event_id, notice, due, attempts, created FROM outbox WHERE destination = ? AND status = 'pending' "
            "AND due <= ? ORDER BY due, created, rowid LIMIT ?",
            (destination, now, limit),
        )
        return [Pending(e, Notice.model_validate_json(n), d, a, c) for e, n, d, a, c in rows]

    def next_due(self, destination: str) -> float | None:
        row = self._db.execute(
            "SELECT MIN(due) FROM outbox WHERE destination = ? AND status = 'pending'", (destination,)
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def sent(self, destination: str, event_ids: list[str]) -> None:
        now = _now()
        with immediate_transaction(self._db):
            self._db.executemany(
                "UPDATE outbox SET status = 'sent', sent = ?, error = NULL WHERE destination = ? AND event_id = ?",
                [(now, destination, e) for e in event_ids],
            )

    def retry(self, destination: str, event_ids: list[str], due: float, error: str) -> None:
        with immediate_transaction(self._db):
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, due = ?, error = ? WHERE destination = ? AND event_id = ?",
                [(due, error, destination, e) for e in event_ids],
            )

    def dead(self, destination: str, event_ids: list[str], error: str) -> None:
        with immediate_transaction(self._db):
            self._db.executemany(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, error = ? "
                "WHERE destination = ? AND event_id = ?",
                [(error, destination, e) for e in event_ids],
            )

    def counts(self) -> dict[tuple[str, str], int]:
        """Messages by (destination, status). Safe from any thread (the metrics server scrapes from its own):
        it reads through a connection of its own, which WAL lets run beside the writer."""
        with closing(sqlite3.connect(self._path)) as db:
            rows = db.execute("SELECT destination, status, COUNT(*) FROM outbox GROUP BY destination, status")
            return {(d, s): n for d, s, n in rows}

    def dead_letters(self, destination: str | None = None) -> list[tuple[str, str, str, int]]:
        """(destination, event_id, error, attempts) of every message given up on."""
        rows = self._db.execute(
            "SELECT destination, event_id, error, attempts FROM outbox WHERE status = 'dead' "
            "AND (? IS NULL OR destination = ?) ORDER BY created",
            (destination, destination),
        )
        return list(rows)

    def requeue_dead(self, destination: str) -> int:
        """Dead letters of `destination` back to pending, due now, their attempts counted from zero."""
        with immediate_transaction(self._db):
            changed = self._db.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, due = ?, created = ? "
                "WHERE destination = ? AND status = 'dead'",
                (_now(), _now(), destination),
            )
        return changed.rowcount
