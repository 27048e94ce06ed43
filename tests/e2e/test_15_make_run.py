"""Journey 15: `make run` on other ports, given PORT and SANDBOX_PORT and no other setting,
connects to the sandbox it starts and pushes to it, as a person clicks it (issue 16, Done
means).

This journey runs `make run` itself (migrate, the demo, the server, the worker and the sandbox)
with a database and a sandbox state file of its own, instead of the session's stack.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from integrations.qbo.client import select
from integrations.sandbox.backend import DEFAULT_REALM_ID
from tests.e2e.conftest import open_context
from tests.e2e.pages import choose_key_accounts, grant_access, log_in, open_admin, reload_until
from tests.e2e.stack import ROOT, Database

# Ports of this journey's own, away from the usual 8000 and 8765 and from the session's stack.
PORT, SANDBOX_PORT = 32020, 32021
STARTUP_TIMEOUT = 180  # migrating a new database comes first
ITEM = "Made on other ports"


class MakeRun:
    """`make run` in a session of its own; `url` is where it serves."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="distru-make-run-")
        self.workdir = Path(self._tmp.name)
        self.database = Database(self.workdir, "_make_run")
        self.url = f"http://127.0.0.1:{PORT}"
        self.sandbox_url = f"http://127.0.0.1:{SANDBOX_PORT}"
        self.log = self.workdir / "make-run.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.database.create()
        # What a person has in their shell, and the two ports: no QBO_* or DISTRU_* setting.
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        env.update(
            PORT=str(PORT),
            SANDBOX_PORT=str(SANDBOX_PORT),
            # Not the developer's db.sqlite3 and var/qbo_sandbox.json.
            DATABASE_URL=self.database.url,
            SANDBOX_STATE=str(self.workdir / "qbo_sandbox.json"),
        )
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own Makefile
                ["make", "--no-print-directory", "run"],  # noqa: S607 - make from PATH
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "is running at" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make run did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # as a person's kill -TERM on make run
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.database.drop()
        self._tmp.cleanup()

    def qbo_items(self, name: str) -> list[dict]:
        """The items of that name the sandbox company holds, read as QuickBooks' API gives them."""
        token = requests.post(f"{self.sandbox_url}/_sandbox/token", json={}, timeout=10).json()
        answer = requests.get(
            f"{self.sandbox_url}/v3/company/{DEFAULT_REALM_ID}/query",
            params={"query": select("Item", {"Name": name})},
            headers={
                "Authorization": f"Bearer {token['access_token']}",
                "Accept": "application/json",
            },
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["QueryResponse"].get("Item", [])


@pytest.fixture
def make_run():
    running = MakeRun()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def make_run_page(browser, make_run):
    context = open_context(browser, make_run)
    page = context.new_page()
    yield page
    context.close()


def test_make_run_on_other_ports_connects_and_pushes_with_nothing_else_set(make_run, make_run_page):
    page = make_run_page
    log_in(page)
    page.click("text=Settings → Integrations")
    card = page.locator(".settings-card").filter(has_text="QuickBooks Online")
    card.get_by_role("button", name="Connect to QuickBooks Online").click()
    # Intuit's consent page is the sandbox's on SANDBOX_PORT, and it sends us back to PORT.
    expect(page).to_have_url(re.compile(rf"^{re.escape(make_run.sandbox_url)}/connect/oauth2"))
    grant_access(page)
    assert page.url.startswith(f"{make_run.url}/")
    choose_key_accounts(page)

    open_admin(page, "qboitem")
    page.click(".object-tools a.addlink")
    page.fill("#id_name", ITEM)
    page.click("input[name=_continue]")
    reload_until(page, ".field-qbo_id .readonly", re.compile(r"^\d+$"))  # the worker pushed it

    (pushed,) = make_run.qbo_items(ITEM)
    assert pushed["Active"] is True
    expect(page.locator(".field-qbo_id .readonly")).to_have_text(pushed["Id"])
