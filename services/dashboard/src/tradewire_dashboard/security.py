"""What serving over HTTPS changes, and the Content-Security-Policy of every response.

Behind a TLS-terminating proxy, login failed with 403 "Origin checking failed" (the browser's
`Origin: https://...` against a request Django saw as http), and `check --deploy` warned W004, W008,
W012, W016 (issue 17, finding 5). With `DASHBOARD_TLS=true` the proxy's `X-Forwarded-Proto` is
trusted, cookies are secure, HSTS is sent and plain http is redirected; docs/security.md says how to
deploy it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from tradewire_dashboard.config import Settings

# No inline script or style anywhere: the page's config travels as a JSON data block, which a browser
# does not execute. `connect-src 'self'` covers the same-origin ws:/wss: socket in today's browsers.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def https_settings(settings: Settings) -> dict[str, Any]:
    """The Django settings `tls` turns on; none of them when serving plain http on loopback."""
    origins = settings.csrf_trusted_origins or (
        [f"https://{host}" for host in settings.allowed_hosts if host and not host.startswith(".")]
        if settings.tls
        else []
    )
    common = {"CSRF_TRUSTED_ORIGINS": origins}
    if not settings.tls:
        return common
    return {
        **common,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        # Probes inside the container speak plain http to the process itself.
        "SECURE_REDIRECT_EXEMPT": [r"^metrics$", r"^accounts/login/$"] if settings.tls_redirect_exempt_probes else [],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": settings.hsts_seconds,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.hsts_include_subdomains,
        "SECURE_HSTS_PRELOAD": settings.hsts_preload,
    }


def silenced_checks(settings: Settings) -> list[str]:
    # W021 asks for HSTS preload, a commitment to the browsers' preload list that the operator makes,
    # not a default we can make for them (DASHBOARD_HSTS_PRELOAD=true turns it on and the check off).
    return ["security.W021"] if settings.tls and not settings.hsts_preload else []


class ContentSecurityPolicy:
    """Adds the Content-Security-Policy header to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
