"""The quick start's demo user: may watch and control every bot, and read the admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tradewire_dashboard.config import Settings
from tradewire_dashboard.django_config import read_or_create_secret

DEMO_PERMISSIONS = ["control_bot", "view_bot", "view_trade", "view_recordercursor"]


def demo_password(settings: Settings) -> str:
    if settings.demo_password is not None:
        return settings.demo_password.get_secret_value()
    return read_or_create_secret(settings.data_dir / "demo_password", 12)


def ensure_demo_user(settings: Settings) -> tuple[str, str]:
    """Create or update the demo user so that the printed password is the one that works."""
    password = demo_password(settings)
    user, _ = get_user_model().objects.get_or_create(username=settings.demo_username)
    if not user.check_password(password):
        # Only when it changed: a new hash would log out every session of the demo user.
        user.set_password(password)
    user.is_active = True
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="dashboard", codename__in=DEMO_PERMISSIONS)
    )
    return settings.demo_username, password
