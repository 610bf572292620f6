from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tradewire_runtime.sqlite import immediate_transaction


def test_a_transaction_commits_everything_or_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    db.execute("CREATE TABLE t (x INTEGER)")
    with immediate_transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError), immediate_transaction(db):
        db.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("half way")
    assert db.execute("SELECT x FROM t").fetchall() == [(1,)]
    assert not db.in_transaction


def test_a_second_writer_waits_at_begin_not_at_commit(tmp_path: Path) -> None:
    first = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    second = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None, timeout=0)
    with immediate_transaction(first), pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("BEGIN IMMEDIATE")  # the lock is taken at BEGIN: nothing half-written can fail later
