"""Ending the real service processes a test started: politely first, as their users would."""

from __future__ import annotations

import signal
import subprocess


def stop_gracefully(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, wait; SIGKILL only if it would not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
