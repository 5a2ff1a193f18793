"""The demo in headless Chromium (Debian's `chromium`, driven by Playwright; nothing downloaded).

Two tiny pages served by `http.server` on other loopback ports stand for other sites: the demo's
CORS setting allows the first origin and not the second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .conftest import DemoServer, start_demo

CHROMIUM = "/usr/bin/chromium"
# Headless, as root, with no network: no sandbox, no GPU, nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers often have a tiny /dev/shm.
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 15_000

FETCH = """async ([url, init]) => {
    try {
        const response = await fetch(url, init);
        return "ok:" + JSON.stringify(await response.json());
    } catch (error) {
        return "blocked:" + error.name;
    }
}"""


class OriginPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>another site</title><p>another site</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output for failures of the demo


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """Two other sites: (the origin the demo allows, an origin it does not)."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), OriginPage) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        allowed, other = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield allowed, other
    finally:
        for server, thread in zip(servers, threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join(10)


@pytest.fixture(scope="module")
def demo_site(
    origins: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    settings = {"DEMO_CORS_ORIGIN": origins[0]}
    server = start_demo("uvicorn", tmp_path_factory.mktemp("browser"), settings=settings)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def log_in(page: Page, demo: DemoServer, username: str, password: str) -> None:
    page.goto(f"{demo.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo.base_url}/private")


def test_homepage_loads_its_css_and_js(
    context: BrowserContext, demo_site: DemoServer, tmp_path: Path
) -> None:
    page = context.new_page()
    statuses: dict[str, int] = {}
    page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    response = page.goto(f"{demo_site.base_url}/")
    assert response is not None
    assert response.status == 200
    assert page.title() == "Integration demo"
    # app.js ran, app.css applied, and the server clock ticks over server-sent events.
    page.wait_for_function("document.documentElement.dataset.js === 'ready'")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 250, 245)"
    page.wait_for_function("document.getElementById('clock').textContent.startsWith('tick ')")
    assert statuses[f"{demo_site.base_url}/static/app.css"] == 200
    assert statuses[f"{demo_site.base_url}/static/app.js"] == 200

    screenshot = tmp_path / "homepage.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_login_sets_the_session_cookie_and_unlocks_the_private_page(
    context: BrowserContext, demo_site: DemoServer
) -> None:
    page = context.new_page()
    page.goto(f"{demo_site.base_url}/private")
    assert page.url.startswith(f"{demo_site.base_url}/login?next=")

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.text_content("[role=alert]") == "Unknown username or wrong password."
    assert context.cookies() == []

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wonderland")
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo_site.base_url}/private")
    assert page.text_content("#greeting") == "Hello, alice!"
    assert page.text_content("#whoami") == "alice"
    (cookie,) = context.cookies()
    assert cookie["name"] == "session"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    # HttpOnly: scripts of the page cannot read it.
    assert page.evaluate("document.cookie") == ""

    page.click("text=Log out")
    page.wait_for_url(f"{demo_site.base_url}/")
    assert page.is_visible("#login-link")


def test_websocket_chat_round_trips_a_message(
    browser: Browser, context: BrowserContext, demo_site: DemoServer
) -> None:
    alice = context.new_page()
    log_in(alice, demo_site, "alice", "wonderland")
    alice.goto(f"{demo_site.base_url}/chat")
    guest_context = browser.new_context()
    guest_context.set_default_timeout(TIMEOUT_MS)
    try:
        guest = guest_context.new_page()
        guest.goto(f"{demo_site.base_url}/chat")
        alice.wait_for_selector("#chat-status:has-text('connected as alice')")
        guest.wait_for_selector("#chat-status:has-text('connected as guest')")

        alice.fill("#chat-text", "hello from <b>Chromium</b>")
        alice.press("#chat-text", "Enter")
        for page in (alice, guest):
            item = page.wait_for_selector("#messages li")
            assert item is not None
            assert item.text_content() == "alice: hello from <b>Chromium</b>"
        assert guest.query_selector("#messages b") is None  # shown as text, never as markup
    finally:
        guest_context.close()


def test_cross_origin_fetch_is_allowed_only_from_the_configured_origin(
    context: BrowserContext, demo_site: DemoServer, origins: tuple[str, str]
) -> None:
    allowed, other = origins
    item_url = f"{demo_site.base_url}/api/items/1"
    echo = [
        f"{demo_site.base_url}/api/echo",
        # A JSON body makes this a non-simple request: the browser sends a preflight first.
        {"method": "POST", "headers": {"content-type": "application/json"}, "body": '{"n": 1}'},
    ]
    page = context.new_page()

    page.goto(f"{allowed}/")
    assert page.evaluate(FETCH, [item_url, {}]).startswith('ok:{"id":1,')
    assert page.evaluate(FETCH, echo) == 'ok:{"received":{"n":1}}'

    page.goto(f"{other}/")
    assert page.evaluate(FETCH, [item_url, {}]) == "blocked:TypeError"
    assert page.evaluate(FETCH, echo) == "blocked:TypeError"
