"""Logging for every tradewire service: plain text for people, JSON lines for machines.

A log call names the ids it is about through `extra=trace(...)`; both forms print them, so one command
or event can be followed from the gateway through the trader to the dashboard with `grep <id>`:

    log.info("stop_bot completed", extra=trace(command_id=command.command_id, bot_id="demo"))
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

LogFormat = Literal["text", "json"]
# Every service's `log_level` setting: GATEWAY_LOG_LEVEL=INFO reads as info, the spelling uvicorn wants.
LogLevel = Annotated[
    Literal["debug", "info", "warning", "error", "critical"],
    BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value),
]

# The ids a record may carry, in the order they are printed.
TRACE_FIELDS = ("bot_id", "command_id", "event_id", "seq", "offset")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A secret in a query string (`/ws?token=...`, sent by a client that should have used a header) would
# land in the access log as is (issue 17, finding 10): its value is printed as ***.
_SECRET_IN_QUERY = re.compile(r"(?i)([?&](?:access_token|token|api_key|apikey|key|secret|password|pass)=)[^&\s\"']*")


def redact(text: str) -> str:
    return _SECRET_IN_QUERY.sub(r"\1***", text)


def trace(**ids: object) -> dict[str, str]:
    """The `extra` of a log call: ids as strings, None left out."""
    unknown = set(ids) - set(TRACE_FIELDS)
    if unknown:
        raise ValueError(f"not a trace field: {sorted(unknown)} (known: {TRACE_FIELDS})")
    return {name: str(value) for name, value in ids.items() if value is not None}


def _ids(record: logging.LogRecord) -> dict[str, str]:
    return {name: value for name in TRACE_FIELDS if (value := getattr(record, name, None)) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the trace ids, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_ids(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual text line, with the trace ids appended as `[name=value ...]`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        ids = _ids(record)
        return f"{text} [{' '.join(f'{k}={v}' for k, v in ids.items())}]" if ids else text


def formatter(form: LogFormat) -> logging.Formatter:
    return JsonFormatter() if form == "json" else TextFormatter()


def configure_logging(level: str = "INFO", form: LogFormat = "text") -> None:
    """Send every logger (uvicorn's and Django's included) to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(form))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "daphne", "django"):
        logger = logging.getLogger(name)  # they may have handlers of their own: use ours instead
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # the root level decides (an earlier uvicorn.Config may have set one)
