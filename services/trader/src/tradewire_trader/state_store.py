"""The trader's source of truth: one SQLite file (WAL) with its state, trade ledger and event outbox.

Why SQLite and not Redis: the trader must keep trading while Redis is unreachable, and what it did
must survive `kill -9` of the trader and of Redis alike. A local file written in one transaction per
change (state + ledger row + outbox row together: the transactional outbox) gives that without
depending on the thing that may be down. Redis stays the place where facts are *published*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tradewire_runtime.sqlite import immediate_transaction, open_durable
from tradewire_schemas import Event, TradeExecuted, decode_event, encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, event TEXT NOT NULL);
"""


class StateStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = open_durable(path, SCHEMA)  # survives kill -9 of the trader (tradewire_runtime.sqlite)

    def close(self) -> None:
        self._db.close()

    def load(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def last_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return 0 if row is None else int(row[0])

    def save(self, state: dict[str, Any], events: Iterable[Event] = ()) -> list[int]:
        """Write the state and append events to the outbox (trades also to the ledger), atomically."""
        ids: list[int] = []
        with immediate_transaction(self._db):
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('state', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (json.dumps(state),),
            )
            for event in events:
                raw = encode(event)
                if isinstance(event, TradeExecuted):
                    self._db.execute("INSERT INTO trades (event_id, event) VALUES (?, ?)", (str(event.event_id), raw))
                cursor = self._db.execute(
                    "INSERT INTO outbox (event_id, event) VALUES (?, ?)", (str(event.event_id), raw)
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
        return ids

    def confirm(self, outbox_id: int, seq: int) -> None:
        """The event is on the bus with this seq: drop it from the outbox and remember the seq."""
        with immediate_transaction(self._db):
            self._db.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
            self._remember_seq(seq)

    def remember_seq(self, seq: int) -> None:
        with immediate_transaction(self._db):
            self._remember_seq(seq)

    def _remember_seq(self, seq: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET "
            "value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (str(seq),),
        )

    def pending(self) -> list[tuple[int, Event]]:
        """Events written but not yet confirmed published, oldest first."""
        rows = self._db.execute("SELECT id, event FROM outbox ORDER BY id").fetchall()
        return [(row[0], decode_event(row[1])) for row in rows]

    def trades(self) -> list[TradeExecuted]:
        rows = self._db.execute("SELECT event FROM trades ORDER BY id").fetchall()
        return [event for row in rows if isinstance(event := decode_event(row[0]), TradeExecuted)]
