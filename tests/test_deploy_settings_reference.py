"""docs/settings.md is generated from the services' Settings classes and must be committed up to date."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tradewire_stack import settings_reference as reference

ROOT = Path(__file__).resolve().parents[1]


def test_committed_settings_reference_is_up_to_date() -> None:
    committed = reference.OUTPUT.read_text() if reference.OUTPUT.exists() else ""
    generated = reference.render()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(True), generated.splitlines(True), "docs/settings.md (committed)", "generated"
        )
    )
    assert not diff, (
        f"docs/settings.md is out of date; run `uv run python -m tradewire_stack.settings_reference`:\n{diff}"
    )


@pytest.mark.parametrize("service", list(reference.SERVICES))
def test_every_field_of_every_service_has_a_row(service: str) -> None:
    cls = reference.settings_class(service)
    prefix, delimiter = reference.naming(service)
    names = reference.environment_variables(service)
    for field, info in cls.model_fields.items():
        if field == "bus":
            for bus_field in info.annotation.model_fields:
                assert f"{prefix}BUS{delimiter}{bus_field}".upper() in names
        else:
            assert any(name.endswith(field.upper()) for name in names), field
    assert reference.table(service).count("\n| `") == len(reference.service_rows(service))


@pytest.mark.parametrize(
    ("service", "variable", "value", "read"),
    [
        ("trader", "TRADER_BUS__STREAM_MAXLEN", "12345", lambda s: s.bus.stream_maxlen == 12345),
        ("gateway", "GATEWAY_COMMAND_BURST", "3", lambda s: s.command_burst == 3),
        ("dashboard", "DASHBOARD_DATABASE_URL", "postgresql://a@b/c", lambda s: s.database_url == "postgresql://a@b/c"),
        ("dashboard", "DATABASE_URL", "postgresql://x@y/z", lambda s: s.database_url == "postgresql://x@y/z"),
    ],
)
def test_the_listed_variable_really_sets_the_setting(
    service: str,
    variable: str,
    value: str,
    read,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    names = reference.environment_variables(service)
    assert variable in names
    for name in names:  # nothing from the surrounding environment may win over the variable under test
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    assert read(reference.settings_class(service)())


def test_check_mode_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "settings.md"
    stale.write_text(reference.render().replace("TRADER_BOT_ID", "TRADER_BOT"))
    assert reference.main(["--check", "--output", str(stale)]) == 1
    assert "TRADER_BOT_ID" in capsys.readouterr().out
    assert reference.main(["--output", str(stale)]) == 0
    assert reference.main(["--check", "--output", str(stale)]) == 0
