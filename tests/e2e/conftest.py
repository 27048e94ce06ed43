"""Browser tests: Debian's Chromium, driven by Playwright, against a live stack (see stack.py).

Without Chromium they are skipped, unless E2E_REQUIRED=1 (as in CI), when they fail.
E2E_CHROMIUM names another Chromium binary. E2E_SCREENSHOTS=docs/screenshots writes each
journey's screenshots there (numbered journey-step-what.png) instead of a temporary folder.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from tests.e2e.stack import ROOT, Stack

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 900}
ACTION_TIMEOUT_MS = 20_000


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: a browser test against the live stack")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _chromium():
    """Skip every browser test when Chromium is missing; fail instead with E2E_REQUIRED=1."""
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(f"E2E_REQUIRED=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    return CHROMIUM


@pytest.fixture(scope="session")
def stack():
    """The web server, a django-q worker and the QBO sandbox, for the whole session."""
    running = Stack()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser(_chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> tuple[Path, bool]:
    """Where screenshots go, and whether that is the committed set."""
    if target := os.environ.get("E2E_SCREENSHOTS"):
        path = Path(target) if Path(target).is_absolute() else ROOT / target
        path.mkdir(parents=True, exist_ok=True)
        return path, True
    return tmp_path_factory.mktemp("e2e-screenshots"), False


def open_context(browser, stack: Stack):
    """A browser context on `stack`'s web server."""
    context = browser.new_context(base_url=stack.url, viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def browser_context(browser, stack):
    """One context for the session, so the admin's static files are fetched once."""
    context = open_context(browser, stack)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    """A new tab with no cookies: every journey starts signed out."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    yield page
    page.close()


class Screenshots:
    """`shots("key-accounts")` saves <journey>-<step>-key-accounts.png."""

    def __init__(self, page, folder: Path, journey: str, committed: bool):
        self.page, self.folder, self.journey, self.step = page, folder, journey, 0
        if committed:  # the journey's set is taken anew: no stale step survives a renumbering
            for old in folder.glob(f"{journey}-[0-9][0-9]-*.png"):
                old.unlink()

    def __call__(self, name: str, *, full_page: bool = True, page=None) -> Path:
        """Save the journey's next screenshot, of its page or of another tab (`page`)."""
        page = page or self.page
        self.step += 1
        path = self.folder / f"{self.journey}-{self.step:02d}-{name}.png"
        if full_page:  # the admin's sticky sidebar is drawn where the page was scrolled to
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(page, request, screenshot_dir) -> Screenshots:
    """Numbered screenshots of this journey (the number comes from the module, test_NN_...)."""
    journey = re.search(r"test_(\d+)_", request.module.__name__).group(1)
    folder, committed = screenshot_dir
    return Screenshots(page, folder, journey, committed)


@pytest.fixture
def admin_page(page):
    """Signed in as the demo superuser."""
    from tests.e2e.pages import log_in

    log_in(page)
    return page


@pytest.fixture
def connected_page(admin_page):
    """Signed in, with QuickBooks connected and the items imported (journey 1, or done here)."""
    from tests.e2e.pages import ensure_connected

    ensure_connected(admin_page)
    return admin_page


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey's report gets a screenshot of the page and the stack's last log lines."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not hasattr(item, "funcargs"):
        return
    if report.when == "call" and (page := item.funcargs.get("page")) is not None:
        path = Path(tempfile.gettempdir()) / "distru-e2e-failures" / f"{item.name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("e2e screenshot", str(path)))
        except Exception as error:  # a screenshot must not hide the failure
            report.sections.append(("e2e screenshot", f"not taken: {error}"))
    if isinstance(running := item.funcargs.get("stack"), Stack):
        for name in ("web", "worker"):
            report.sections.append((f"{name} log (last lines)", running.tail(name)))
