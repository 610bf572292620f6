from __future__ import annotations

import json
import logging
from uuid import uuid4

import pytest

from tradewire_runtime.logs import JsonFormatter, LogFormat, TextFormatter, configure_logging, formatter, trace


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("tradewire.test", logging.INFO, __file__, 1, message, (), None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def test_json_lines_carry_the_trace_ids() -> None:
    command_id = uuid4()
    line = JsonFormatter().format(record("stop_bot completed", **trace(command_id=command_id, bot_id="demo")))
    parsed = json.loads(line)
    assert parsed["command_id"] == str(command_id) and parsed["bot_id"] == "demo"
    assert parsed["message"] == "stop_bot completed" and parsed["level"] == "INFO"
    assert parsed["ts"].endswith("+00:00")


def test_text_lines_carry_the_trace_ids_too() -> None:
    line = TextFormatter().format(record("traded", **trace(event_id="e-1", bot_id="demo")))
    assert line.endswith("traded [bot_id=demo event_id=e-1]")


def test_a_misspelt_trace_field_is_refused() -> None:
    with pytest.raises(ValueError, match="not a trace field"):
        trace(commandid="x")


def test_configured_logging_writes_json_for_every_logger(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("INFO", "json")
        logging.getLogger("uvicorn.error").info("served", extra=trace(bot_id="demo"))
        logged = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert (logged["logger"], logged["message"], logged["bot_id"]) == ("uvicorn.error", "served", "demo")


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_secret_in_a_query_string_never_reaches_the_log(form: LogFormat) -> None:
    # Issue 17, finding 10: a token a client put in a query string landed in the access log.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/ws?bots=alpha&token=s3cret-token-value&after=a:1-0", "1.1", 101),
        None,
    )
    line = formatter(form).format(record)
    assert "s3cret-token-value" not in line
    assert "token=***" in line and "bots=alpha" in line and "after=a:1-0" in line
