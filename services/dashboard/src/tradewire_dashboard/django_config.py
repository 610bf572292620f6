"""The one place where `Settings` become Django settings. Called once, at the entry point."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django
from django.conf import settings as django_settings

from tradewire_dashboard.config import Settings
from tradewire_dashboard.security import https_settings, silenced_checks
from tradewire_runtime.logs import formatter


def read_or_create_secret(path: Path, length: int = 32) -> str:
    """A secret kept in a private file, so sessions and passwords survive restarts."""
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(length)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value


def database(settings: Settings) -> dict[str, Any]:
    if settings.database_url:
        return dict(dj_database_url.parse(settings.database_url, conn_max_age=0))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(settings.sqlite_path()),
        # The recorder writes while pages read: wait for the lock instead of failing at once.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }


def django_settings_for(settings: Settings) -> dict[str, Any]:
    secret = (
        settings.secret_key.get_secret_value()
        if settings.secret_key
        else read_or_create_secret(settings.data_dir / "secret_key", 48)
    )
    return {
        "SECRET_KEY": secret,
        "DEBUG": settings.debug,
        "ALLOWED_HOSTS": settings.allowed_hosts,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "channels",
            "tradewire_dashboard.apps.DashboardConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "tradewire_dashboard.security.ContentSecurityPolicy",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "tradewire_dashboard.urls",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "ASGI_APPLICATION": "tradewire_dashboard.asgi.application",
        "DATABASES": {"default": database(settings)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        # No channel layer: control rooms share nothing but the bus (a start or stop reaches each of them
        # as the trader's `status_change`), so there is no second pub/sub to run, secure and monitor.
        "CHANNEL_LAYERS": {},
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        ],
        "LOGIN_URL": "login",
        "LOGIN_REDIRECT_URL": "control-room",
        "LOGOUT_REDIRECT_URL": "login",
        "STATIC_URL": "static/",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": "en-us",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"tradewire": {"()": formatter, "form": settings.log_format}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "tradewire"}},
            "root": {"handlers": ["console"], "level": settings.log_level.upper()},
        },
        "TRADEWIRE": settings,
        **https_settings(settings),
        "SILENCED_SYSTEM_CHECKS": silenced_checks(settings),
    }


def configure_django(settings: Settings) -> None:
    """Configure and set up Django from `settings`; a second call is refused rather than ignored."""
    django_settings.configure(**django_settings_for(settings))
    django.setup()
