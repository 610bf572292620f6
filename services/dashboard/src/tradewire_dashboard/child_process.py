"""The dashboard as a child process on a free port, for end-to-end tests and benchmarks.

with DashboardProcess(redis_url, data_dir) as dashboard:
    dashboard.url, dashboard.username, dashboard.password
    cookie = dashboard.log_in()   # "sessionid=...", for HTTP clients and WebSockets
"""

from __future__ import annotations

import http.cookiejar
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class DashboardProcess:
    def __init__(
        self,
        redis_url: str,
        data_dir: Path,
        *,
        port: int | None = None,
        server: str = "uvicorn",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.data_dir = data_dir
        self.port = port or free_port()
        self.server = server
        self.username = "demo"
        self.password = secrets.token_urlsafe(12)
        self.extra_env = extra_env or {}
        self.log_path = data_dir / f"dashboard-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_in(self) -> str:
        """Log the demo user in through the real login form (CSRF token included); the session cookie."""
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with browser.open(f"{self.url}/accounts/login/", timeout=10):
            pass
        cookies = {cookie.name: cookie.value for cookie in jar}
        form = {"username": self.username, "password": self.password, "csrfmiddlewaretoken": cookies["csrftoken"]}
        with browser.open(f"{self.url}/accounts/login/", urllib.parse.urlencode(form).encode(), timeout=10):
            pass
        session = {cookie.name: cookie.value for cookie in jar}.get("sessionid")
        if session is None:
            raise RuntimeError(f"the dashboard refused the demo user's login:\n{self.log()}")
        return f"sessionid={session}"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "DASHBOARD_REDIS_URL": self.redis_url,
            "DASHBOARD_DATA_DIR": str(self.data_dir),
            "DASHBOARD_PORT": str(self.port),
            "DASHBOARD_SERVER": self.server,
            "DASHBOARD_DEMO": "true",
            "DASHBOARD_DEMO_PASSWORD": self.password,
            "DASHBOARD_LOG_LEVEL": "warning",
            **self.extra_env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tradewire_dashboard", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the dashboard exited with {self._process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dashboard did not answer within {timeout}s:\n{self.log()}")
            time.sleep(0.05)  # waiting for a child process to bind its port; nothing to subscribe to

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def __enter__(self) -> DashboardProcess:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
