"""Browser fixtures: headless Debian Chromium driven by Playwright, against servers that are already running.

Nothing is started here but the browser. The Rasa server (socket.io, RASA_PORT), the action server and the page
server (`python -m web.server`, WEB_PORT) must be up, as scripts/test.sh starts them. When the page or Rasa cannot
be reached, or Playwright or Chromium is missing, the tests are skipped with the reason; set
BROWSER_TESTS_REQUIRED=1 (CI) to make that a failure instead.
"""
from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_URL = os.environ.get("WEB_URL") or f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}/"
RASA_URL = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/"
SCREENSHOTS = ROOT / "results" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


def _unavailable(reason: str):
    if os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
        pytest.fail(f"{reason} (BROWSER_TESTS_REQUIRED=1)", pytrace=False)
    pytest.skip(reason)


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _origin(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


@pytest.fixture(scope="session")
def web_url() -> str:
    try:
        with urllib.request.urlopen(WEB_URL + "healthz", timeout=5) as response:
            response.read()
    except OSError as error:
        _unavailable(f"no clinic page at {WEB_URL} ({error}): start it with `python -m web.server` "
                     "(scripts/test.sh does)")
    try:
        request = urllib.request.Request(RASA_URL, headers={"Origin": _origin(WEB_URL)})
        with urllib.request.urlopen(request, timeout=5) as response:
            allowed = response.headers.get("Access-Control-Allow-Origin")
    except OSError as error:
        _unavailable(f"no Rasa server at {RASA_URL} ({error}): scripts/test.sh starts it")
    if allowed not in (_origin(WEB_URL), "*"):
        pytest.fail(f"the Rasa server at {RASA_URL} does not allow the page's origin {_origin(WEB_URL)} (CORS): "
                    f"start it with --cors {_origin(WEB_URL)} (one --cors flag followed by every origin)",
                    pytrace=False)
    return WEB_URL


@pytest.fixture(scope="session")
def browser(web_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    executable = _chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium), or CHROMIUM_PATH is wrong")
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # a broken browser install says why here
        playwright.stop()
        _unavailable(f"Chromium at {executable} could not be started: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page_or_locator, name): saves results/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(target, name: str, **options):
        path = SCREENSHOTS / f"{name}.png"
        target.screenshot(path=str(path), **options)
        return path

    return take


@pytest.fixture
def new_page(browser, web_url):
    """new_page(width=1280, height=900): a page in a fresh context (its own sessionStorage, so its own conversation)."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(web_url)
        return page

    yield open_page
    for context in contexts:
        context.close()
