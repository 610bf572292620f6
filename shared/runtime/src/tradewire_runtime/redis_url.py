"""A Redis URL fit for a log line: the password replaced by `***`, everything else kept."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def without_password(url: str) -> str:
    """`redis://app:s3cret@host:6380/0` -> `redis://app:***@host:6380/0`; a URL without one as it is."""
    try:
        parts = urlsplit(url)
        password, host, port = parts.password, parts.hostname, parts.port
    except ValueError:
        return "<a Redis URL that does not parse>"
    if password is None:
        return url
    shown_host = f"[{host}]" if host and ":" in host else (host or "")
    port_part = f":{port}" if port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{shown_host}{port_part}"))
