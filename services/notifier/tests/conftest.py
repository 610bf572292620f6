"""The notifier's tests share `notifier_harness` (events, notices) and `notifier_servers` (local servers
speaking each destination's format)."""

from __future__ import annotations

import sys
from pathlib import Path

# Test modules are imported with --import-mode=importlib, which puts nothing on sys.path: this folder goes
# there so the tests can share the two helper modules.
sys.path.insert(0, str(Path(__file__).parent))
