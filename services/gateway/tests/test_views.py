from __future__ import annotations

from datetime import timedelta
from typing import Any

from tradewire_bus import BotSnapshot
from tradewire_gateway.views import current_status
from tradewire_schemas import Heartbeat, StatusChanged, utc_now


def test_status_is_the_newer_of_status_change_and_heartbeat(make: Any) -> None:
    now = utc_now()
    stopped = StatusChanged(bot_id="a", status="stopped", reason="r", actor="ops", ts=now - timedelta(seconds=5))
    beat = Heartbeat(bot_id="a", status="running", interval_s=1, ts=now)
    assert current_status(BotSnapshot(bot_id="a", epoch=None, offset=None, seq=0, status=stopped, heartbeat=beat)) == (
        "running"
    )
    old_beat = beat.model_copy(update={"ts": now - timedelta(seconds=60)})
    snapshot = BotSnapshot(bot_id="a", epoch=None, offset=None, seq=0, status=stopped, heartbeat=old_beat)
    assert current_status(snapshot) == "stopped"
    assert current_status(BotSnapshot(bot_id="a", epoch=None, offset=None, seq=0)) is None
