"""Login throttling: wrong passwords were all answered 200, as fast as they came (issue 17, finding 10).

Failures are counted per (user name, client address) and per client address in Django's cache, for
`login_failure_window_s`; past the limit a login POST is answered 429 without checking the password,
until the window passes. A success clears its user name's count. The cache is per process (no shared
cache is configured): with N dashboard processes an attacker gets N times the allowance. Behind a proxy
every client has the proxy's address, so the per-address limit then acts on everybody together: it is
set well above the per-user one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("tradewire.dashboard.login")

View = Callable[..., HttpResponse]


def _key(*parts: str) -> str:
    return "tw-login-failures:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def throttled(view: View) -> View:
    """Wrap a login view: refuse POSTs past the limits, count failed ones, clear on success."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        settings = django_settings.TRADEWIRE
        address = request.META.get("REMOTE_ADDR", "")
        username = str(request.POST.get("username", ""))[:150].lower()
        keys = {
            _key("user", username, address): settings.login_failures_per_user,
            _key("address", address): settings.login_failures_per_address,
        }
        if any(cache.get(key, 0) >= limit for key, limit in keys.items()):
            log.warning("login throttled for %r from %s", username, address)
            response = HttpResponse(
                "Too many failed logins; try again later.\n", status=429, content_type="text/plain; charset=utf-8"
            )
            response["Retry-After"] = str(int(settings.login_failure_window_s))
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 302:  # logged in
            cache.delete(next(iter(keys)))
        elif response.status_code == 200:  # the form again, with its error
            for key in keys:
                cache.add(key, 0, timeout=settings.login_failure_window_s)
                cache.incr(key)
        return response

    return wrapper
