"""The trader's source of truth: one SQLite file (WAL) with its state, trade ledger and event outbox.

Why SQLite and not Redis: the trader must keep trading while Redis is unreachable, and what it did
must survive `kill -9` of the trader and of Redis alike. A local file written in one transaction per
change (state + ledger row + outbox row together: the transactional outbox) gives that without
depending on the thing that may be down. Redis stays the place where facts are *published*.

Confirmations (the bus took an outbox event, with this seq) are kept in memory and written with the next
transaction (a state change, or `write_confirmations` when the outbox says so): a transaction of their
own per event was a tenth of a fast replay. One lost in a crash leaves its event in the outbox, where
the restarted trader looks it up on the bus before sending it (outbox.py); it is never sent twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic_core import to_json

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
        self._confirmed: list[int] = []  # outbox ids the bus confirmed, deleted with the next transaction
        self._confirmed_seq = 0

    def close(self) -> None:
        self.write_confirmations()
        self._db.close()

    def load(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def last_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return max(0 if row is None else int(row[0]), self._confirmed_seq)

    def save(self, state: dict[str, Any], events: Iterable[Event] = ()) -> list[int]:
        """Write the state and append events to the outbox (trades also to the ledger), atomically."""
        ids: list[int] = []
        with immediate_transaction(self._db):
            self._write_confirmed()
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('state', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (to_json(state).decode(),),  # pydantic-core's encoder: a quarter of json.dumps's time
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
        self._confirmed.clear()  # written: only now, a failed transaction keeps them for the next
        return ids

    def confirm(self, outbox_id: int, seq: int) -> None:
        """The event is on the bus with this seq: drop it from the outbox and remember the seq, now."""
        self.confirm_later(outbox_id, seq)
        self.write_confirmations()

    def confirm_later(self, outbox_id: int, seq: int) -> None:
        """As `confirm`, written with the next transaction; `pending` and `last_seq` count it at once."""
        self._confirmed.append(outbox_id)
        self._confirmed_seq = max(self._confirmed_seq, seq)

    @property
    def unwritten_confirmations(self) -> int:
        return len(self._confirmed)

    def write_confirmations(self) -> None:
        if self._confirmed:
            with immediate_transaction(self._db):
                self._write_confirmed()
            self._confirmed.clear()

    def remember_seq(self, seq: int) -> None:
        with immediate_transaction(self._db):
            self._write_confirmed()
            self._remember_seq(seq)
        self._confirmed.clear()

    def _write_confirmed(self) -> None:
        if self._confirmed:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(outbox_id,) for outbox_id in self._confirmed])
            self._remember_seq(self._confirmed_seq)

    def _remember_seq(self, seq: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET "
            "value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (str(seq),),
        )

    def pending(self) -> list[tuple[int, Event]]:
        """Events written but not yet confirmed published, oldest first."""
        rows = self._db.execute("SELECT id, event FROM outbox ORDER BY id").fetchall()
        confirmed = set(self._confirmed)
        return [(row[0], decode_event(row[1])) for row in rows if row[0] not in confirmed]

    def trades(self) -> list[TradeExecuted]:
        rows = self._db.execute("SELECT event FROM trades ORDER BY id").fetchall()
        return [event for row in rows if isinstance(event := decode_event(row[0]), TradeExecuted)]
