"""The dashboard as production runs it (issue 17, findings 3, 5 and 10): behind a TLS proxy, with a
Content-Security-Policy that the real page passes in headless Chromium, `check --deploy` clean, login
throttled, and no demo user or printed password.

Run alone with `uv run pytest tests/test_dashboard_production.py`.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from tradewire_bus import RedisBus
from tradewire_schemas import StatusChanged
from tradewire_testing import RedisServer
from tradewire_testing.dashboard_process import DashboardProcess

pytestmark = [pytest.mark.redis]

HOST = "dashboard.example.com"
PRODUCTION = {
    "DASHBOARD_TLS": "true",
    "DASHBOARD_ALLOWED_HOSTS": f'["{HOST}", "127.0.0.1"]',
    "DASHBOARD_SECRET_KEY": "a-production-secret-key-" + "x" * 40,
    "DASHBOARD_DEBUG": "false",
}
# What the TLS-terminating proxy adds to every request it forwards.
PROXIED = {"Host": HOST, "X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def behind_tls(redis_for_module: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardProcess]:
    extra = {**PRODUCTION, "DASHBOARD_LOGIN_FAILURES_PER_USER": "3"}
    with DashboardProcess(redis_for_module.url, tmp_path_factory.mktemp("tls"), extra_env=extra) as process:
        yield process


def manage(*args: str, env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    # `main()` in a fresh interpreter: the same as `python -m tradewire_dashboard manage ...`, which only
    # the service's own entry command may spell (tests/test_deploy_entrypoint.py).
    program = f"import sys; from tradewire_dashboard.__main__ import main; sys.exit(main(['manage', *{list(args)!r}]))"
    return subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "DASHBOARD_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path: Path) -> None:
    before = manage("check", "--deploy", "--fail-level", "WARNING", env={}, data_dir=tmp_path)
    assert before.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in before.stderr  # what the issue found, without the production settings
    after = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, data_dir=tmp_path)
    assert after.returncode == 0, after.stderr
    assert "no issues" in after.stdout


async def log_in_through_the_proxy(dashboard: DashboardProcess, username: str, password: str) -> httpx.Response:
    # The proxy talks plain http to the dashboard; httpx would keep the Secure cookies to itself there,
    # so the CSRF cookie is passed on by hand, as the browser does over https.
    async with httpx.AsyncClient(base_url=dashboard.url, headers=PROXIED) as client:
        form = await client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token is not None
        return await client.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
            headers={
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}/accounts/login/",
                "Cookie": f"csrftoken={form.cookies['csrftoken']}",
            },
        )


async def test_login_behind_a_tls_proxy_works_with_secure_cookies_and_hsts(behind_tls: DashboardProcess) -> None:
    response = await log_in_through_the_proxy(behind_tls, behind_tls.username, behind_tls.password)
    assert response.status_code == 302, response.text[:500]  # not 403 "Origin checking failed"
    session = next(value for name, value in response.headers.multi_items() if "sessionid=" in value)
    assert "Secure" in session and "HttpOnly" in session
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    async with httpx.AsyncClient(base_url=behind_tls.url) as plain:
        redirected = await plain.get("/trades/", headers={"Host": HOST})
    assert (redirected.status_code, redirected.headers["Location"]) == (301, f"https://{HOST}/trades/")


async def test_wrong_passwords_are_throttled_per_user(behind_tls: DashboardProcess) -> None:
    codes = [(await log_in_through_the_proxy(behind_tls, "mallory-target", "wrong")).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]  # three failures allowed, then refused unchecked
    other = await log_in_through_the_proxy(behind_tls, behind_tls.username, behind_tls.password)
    assert other.status_code == 302  # another user name is not locked out


def test_production_has_no_demo_user_and_prints_no_password(redis_for_module: RedisServer, tmp_path: Path) -> None:
    with DashboardProcess(redis_for_module.url, tmp_path, extra_env={"DASHBOARD_DEMO": "false"}) as served:
        with pytest.raises(RuntimeError, match="refused the demo user"):
            served.log_in()
        log = served.log_path.read_text(errors="replace")
    assert "no demo user" in log
    assert "password" not in log.lower().replace("password is not shown", "")
    assert not (tmp_path / "demo_password").exists()


@pytest.mark.browser
async def test_the_pages_pass_their_content_security_policy_in_chromium(
    browser: Browser, redis_for_module: RedisServer, tmp_path: Path
) -> None:
    async with RedisBus.connect(redis_for_module.url) as bus:
        await bus.publish(StatusChanged(bot_id="csp-bot", status="running", reason="test", actor="trader"))
    with DashboardProcess(redis_for_module.url, tmp_path) as dashboard:
        page = await (await browser.new_context()).new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        await page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        response = await page.goto(f"{dashboard.url}/")
        assert response is not None
        await page.fill("#id_username", dashboard.username)
        await page.fill("#id_password", dashboard.password)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{dashboard.url}/")
        await page.wait_for_selector("#connection[data-state=live]")  # the socket connected under the policy
        policy = await page.evaluate("async () => (await fetch('/')).headers.get('content-security-policy')")
        for path in ("/trades/", "/admin/"):
            await page.goto(f"{dashboard.url}{path}")
            await page.wait_for_load_state("load")
        await asyncio.sleep(0)  # let queued console events arrive
    assert policy is not None and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert violations == []
