"""The quick start's demo user: may watch and control every bot, and read the admin.

Only in demo mode (`DASHBOARD_DEMO=true`, which `./tw up` sets), and only created once: a demo user
that exists is never changed again. Before, it came back active, staff, with `control_bot` and the
generated password at every start, whatever an administrator had done to it (issue 17, finding 3).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tradewire_dashboard.config import Settings
from tradewire_dashboard.django_config import read_or_create_secret

log = logging.getLogger("tradewire.dashboard")

DEMO_PERMISSIONS = ["control_bot", "view_bot", "view_trade", "view_recordercursor"]


def demo_password(settings: Settings) -> str:
    if settings.demo_password is not None:
        return settings.demo_password.get_secret_value()
    return read_or_create_secret(settings.data_dir / "demo_password", 12)


def ensure_demo_user(settings: Settings) -> tuple[str, str | None] | None:
    """None outside demo mode. Else (name, password): the password only while it is still the one we
    set, so that we print it; None once someone changed the user (it is left exactly as they left it)."""
    if not settings.demo:
        return None
    password = demo_password(settings)
    user, created = get_user_model().objects.get_or_create(username=settings.demo_username)
    if created:
        user.set_password(password)
        user.is_staff = True
        user.save()
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="dashboard", codename__in=DEMO_PERMISSIONS)
        )
        log.info("created the demo user %r", settings.demo_username)
        return settings.demo_username, password
    if user.is_active and user.check_password(password):
        return settings.demo_username, password
    return settings.demo_username, None
