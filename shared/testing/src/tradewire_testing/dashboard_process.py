"""The dashboard as child processes on free ports, for end-to-end tests and benchmarks: `serve`, and
(unless `record=False`) the recorder, `record`, started once `serve` has migrated the database.

with DashboardProcess(redis_url, data_dir) as dashboard:
    dashboard.url, dashboard.username, dashboard.password, dashboard.recorder_url
    cookie = dashboard.log_in()   # "sessionid=...", for HTTP clients and WebSockets
"""

from __future__ import annotations

import http.cookiejar
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType

from tradewire_testing.redis_server import free_port


class DashboardProcess:
    def __init__(
        self,
        redis_url: str,
        data_dir: Path,
        *,
        port: int | None = None,
        server: str = "uvicorn",
        extra_env: dict[str, str] | None = None,
        record: bool = True,
        serve_via: tuple[str, ...] = ("-m",),
    ) -> None:
        self.redis_url = redis_url
        self.data_dir = data_dir
        self.port = port or free_port()
        self.server = server
        self.username = "demo"
        self.password = secrets.token_urlsafe(12)
        self.extra_env = extra_env or {}
        self.log_path = data_dir / f"dashboard-{self.port}.log"  # both processes write their lines here
        self.record = record
        # How the interpreter runs the module `tradewire_dashboard serve`: `-m`, or a wrapper module that
        # runs it in turn (the bench's profiler: `("-m", "bench.e2e.profiled", OUT)`).
        self.serve_via = serve_via
        self.recorder_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._recorder: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def recorder_url(self) -> str:
        """Where the recorder answers /healthz and /metrics."""
        return f"http://127.0.0.1:{self.recorder_port}"

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
        """Both processes answering; if either fails to, neither is left running (`with` never reaches
        `__exit__` when `__enter__` raises, so a failed start would otherwise leak `serve`)."""
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        env = {
            **os.environ,
            "DASHBOARD_REDIS_URL": self.redis_url,
            "DASHBOARD_DATA_DIR": str(self.data_dir),
            "DASHBOARD_PORT": str(self.port),
            "DASHBOARD_SERVER": self.server,
            "DASHBOARD_DEMO": "true",
            "DASHBOARD_DEMO_PASSWORD": self.password,
            "DASHBOARD_RECORDER_PORT": str(self.recorder_port),
            "DASHBOARD_LOG_LEVEL": "warning",
            **self.extra_env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        with self.log_path.open("ab") as log:
            serve = [sys.executable, *self.serve_via, "tradewire_dashboard", "serve"]
            self._process = subprocess.Popen(serve, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_for(self._process, f"{self.url}/accounts/login/", deadline, timeout)
        if self.record:  # once `serve` has migrated (it answers only after), so the recorder starts at once
            with self.log_path.open("ab") as log:
                record = [sys.executable, "-m", "tradewire_dashboard", "record"]
                self._recorder = subprocess.Popen(record, env=env, stdout=log, stderr=subprocess.STDOUT)
            self._wait_for(self._recorder, f"{self.recorder_url}/healthz", time.monotonic() + timeout, timeout)

    def _wait_for(self, process: subprocess.Popen[bytes], url: str, deadline: float, timeout: float) -> None:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:  # refused, reset, or accepted but unanswered (a timeout): not up yet
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout}s:\n{self.log()}")
            time.sleep(0.05)  # waiting for a child process to bind its port; nothing to subscribe to

    def stop(self) -> None:
        for process in (self._recorder, self._process):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        self._process = self._recorder = None

    @property
    def pid(self) -> int | None:
        """The serving process's."""
        return self._process.pid if self._process is not None else None

    @property
    def recorder_pid(self) -> int | None:
        return self._recorder.pid if self._recorder is not None else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def __enter__(self) -> DashboardProcess:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
