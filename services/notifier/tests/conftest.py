"""The notifier's tests share `notifier_harness` (events, notices), `tradewire_testing.notifier_servers`
(local servers speaking each destination's format), and the `receiver` fixture: a webhook endpoint up for the test."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Test modules are imported with --import-mode=importlib, which puts nothing on sys.path: this folder goes
# there so the tests can share the harness.
sys.path.insert(0, str(Path(__file__).parent))

from tradewire_testing.notifier_servers import WebhookReceiver


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver("notifier-test-webhook-secret")
    await server.up()
    yield server
    await server.down()
