from __future__ import annotations

from pathlib import Path

from notifier_harness import a_notice

from tradewire_notifier.store import Store


def test_a_message_is_queued_once_per_destination_and_the_cursor_moves_with_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.sqlite3")
    notice = a_notice()
    assert store.record({"demo": ("e1", "1-0")}, [("hook", notice, 0.0), ("tg", notice, 0.0)]) == ["hook", "tg"]
    # Read again after a restart: nothing new, the cursor still moves.
    assert store.record({"demo": ("e1", "2-0")}, [("hook", notice, 0.0)]) == []
    assert store.cursors() == {"demo": ("e1", "2-0")}
    assert [p.event_id for p in store.due("hook", 1.0, 10)] == [notice.event_id]
    store.sent("hook", [notice.event_id])
    assert store.due("hook", 1.0, 10) == []
    store.close()
    reopened = Store(tmp_path / "n.sqlite3")
    assert reopened.record({}, [("hook", notice, 0.0)]) == []  # sent before the restart: never again
    assert reopened.counts() == {("hook", "sent"): 1, ("tg", "pending"): 1}


def test_retry_moves_the_due_time_and_dead_keeps_the_reason(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.sqlite3")
    notice = a_notice()
    store.record({}, [("hook", notice, 0.0)])
    store.retry("hook", [notice.event_id], 100.0, "HTTP 503")
    assert store.due("hook", 99.0, 10) == [] and store.next_due("hook") == 100.0
    assert store.due("hook", 100.0, 10)[0].attempts == 1
    store.dead("hook", [notice.event_id], "HTTP 410")
    assert store.dead_letters() == [("hook", notice.event_id, "HTTP 410", 2)]
    assert store.next_due("hook") is None


def test_the_first_start_is_remembered(tmp_path: Path) -> None:
    assert Store(tmp_path / "n.sqlite3").first_start(5.0) == 5.0
    assert Store(tmp_path / "n.sqlite3").first_start(9.0) == 5.0
