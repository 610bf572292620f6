"""Settings from the environment, and the one place they become Django settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tradewire_dashboard.config import Settings
from tradewire_dashboard.demo_user import ensure_demo_user
from tradewire_dashboard.django_config import django_settings_for


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("REDIS_URL", "DASHBOARD_REDIS_URL", "DATABASE_URL", "DASHBOARD_DATABASE_URL", "DASHBOARD_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_serve_on_port_8001_with_the_local_redis(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.server) == ("127.0.0.1", 8001, "uvicorn")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_plain_redis_url_is_accepted_and_the_prefixed_one_wins(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REDIS_URL", "redis://plain:1/0")
    assert Settings().redis_url == "redis://plain:1/0"
    clean_env.setenv("DASHBOARD_REDIS_URL", "redis://prefixed:2/0")
    assert Settings().redis_url == "redis://prefixed:2/0"


def test_nested_bus_settings_come_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DASHBOARD_BUS__NAMESPACE", "staging")
    assert Settings().bus.namespace == "staging"


def test_database_url_selects_postgresql(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://tw:secret@127.0.0.1:5432/tradewire")
    database = django_settings_for(Settings(data_dir=tmp_path))["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["HOST"]) == ("tradewire", "tw", "127.0.0.1")


def test_sqlite_lives_in_the_data_dir_by_default(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = django_settings_for(Settings(data_dir=tmp_path))["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "dashboard.sqlite3")


def test_there_is_no_channel_layer_the_bus_is_the_only_pub_sub(tmp_path: Path) -> None:
    assert django_settings_for(Settings(data_dir=tmp_path))["CHANNEL_LAYERS"] == {}


def test_a_generated_secret_key_survives_restarts(tmp_path: Path) -> None:
    first = django_settings_for(Settings(data_dir=tmp_path))["SECRET_KEY"]
    assert len(first) >= 50
    assert django_settings_for(Settings(data_dir=tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_the_demo_user_may_control_bots_and_keeps_its_sessions(database: Settings, tmp_path: Path) -> None:
    demo = database.model_copy(
        update={"data_dir": tmp_path, "demo_username": "demo-test", "demo_password": None, "demo": True}
    )
    created = ensure_demo_user(demo)
    assert created is not None
    username, password = created
    assert password is not None
    user = User.objects.get(username=username)
    assert user.check_password(password)
    assert user.has_perm("dashboard.control_bot")
    assert not user.is_superuser
    hash_before = user.password
    assert ensure_demo_user(demo) == (username, password)  # the same generated password next time
    assert User.objects.get(username=username).password == hash_before  # so sessions stay valid


def test_serve_refuses_an_invalid_port_flag_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    from tradewire_dashboard.__main__ import main

    assert main(["serve", "--port", "70000"]) == 2
    assert "port" in capsys.readouterr().err


def test_no_demo_user_outside_demo_mode(database: Settings, tmp_path: Path) -> None:
    production = database.model_copy(update={"data_dir": tmp_path, "demo_username": "demo-prod", "demo": False})
    assert Settings().demo is False  # production leaves it off unless DASHBOARD_DEMO says otherwise
    assert ensure_demo_user(production) is None
    assert not User.objects.filter(username="demo-prod").exists()
    assert not (tmp_path / "demo_password").exists()


def test_an_administrators_changes_to_the_demo_user_are_never_undone(database: Settings, tmp_path: Path) -> None:
    # Issue 17, finding 3: deactivated, stripped and re-passworded, it came back at the next start.
    demo = database.model_copy(
        update={"data_dir": tmp_path, "demo_username": "demo-kept", "demo_password": None, "demo": True}
    )
    created = ensure_demo_user(demo)
    assert created is not None and created[1] is not None
    user = User.objects.get(username="demo-kept")
    user.is_active = False
    user.is_staff = False
    user.set_password("chosen by the administrator")
    user.save()
    user.user_permissions.clear()

    assert ensure_demo_user(demo) == ("demo-kept", None)  # a name, and no password to print
    after = User.objects.get(username="demo-kept")
    assert (after.is_active, after.is_staff) == (False, False)
    assert after.check_password("chosen by the administrator")
    assert not after.user_permissions.exists()
