"""Run in a child interpreter: freezing and thresholds are process-wide, and this process runs tests."""

from __future__ import annotations

import json
import subprocess
import sys

from tradewire_runtime.heap import YOUNG_GENERATION_THRESHOLD

PROBE = """
import gc, json
from tradewire_runtime.heap import prepare_for_serving
before = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
prepare_for_serving()
after = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "young": gc.get_count()[0]}
print(json.dumps([before, after]))
"""


def test_prepare_for_serving_freezes_what_exists_and_collects_the_young_generation_less_often() -> None:
    output = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    before, after = json.loads(output)
    assert before["frozen"] == 0 and after["frozen"] > 1000  # the interpreter's and the imports' objects
    assert after["threshold"] == [YOUNG_GENERATION_THRESHOLD, before["threshold"][1], before["threshold"][2]]
