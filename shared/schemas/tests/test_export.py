from __future__ import annotations

import json
from pathlib import Path

from tradewire_schemas.export import MODELS, drift, rendered, write

COMMITTED = Path(__file__).resolve().parents[1] / "jsonschema"


def test_committed_json_schemas_match_the_models() -> None:
    assert drift(COMMITTED) == [], "JSON Schemas are out of date: run `just schemas` and commit the result"


def test_drift_is_detected_when_a_file_changes(tmp_path: Path) -> None:
    write(tmp_path)
    assert drift(tmp_path) == []
    (tmp_path / "events" / "heartbeat.json").write_text("{}\n")
    (tmp_path / "events" / "retired.json").write_text("{}\n")
    assert drift(tmp_path) == ["events/heartbeat.json", "events/retired.json"]


def test_every_model_has_a_schema_with_its_type_literal() -> None:
    files = rendered()
    for name in MODELS:
        schema = json.loads(files[f"{name}.json"])
        if name != "envelope":
            assert schema["properties"]["type"]["const"] == name.split("/")[1]
            assert schema["additionalProperties"] is False


def test_decimals_are_strings_in_the_schema() -> None:
    schema = json.loads(rendered()["events/trade_executed.json"])
    assert schema["properties"]["price"]["type"] == "string"
