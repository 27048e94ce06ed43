"""The product as a person meets it: a web server and a django-q worker on one database, and QBO.

The server (`manage.py runserver`) and the worker (`manage.py qcluster`) are subprocesses with
the real settings (asynchronous django-q, the ORM broker), so nothing runs inline as it does in
the rest of the suite. They share a database of their own, never pytest-django's: a SQLite
file in a temporary folder, or, when DATABASE_URL names PostgreSQL, `test_<name>_e2e` on that
server, made afresh and dropped at the end. The QBO sandbox runs in a thread of the test
process, so a test can read what QuickBooks now holds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from integrations.qbo.client import select
from integrations.sandbox.backend import Backend, Config
from integrations.sandbox.pytest_plugin import Sandbox
from integrations.sandbox.server import start_in_thread
from integrations.sandbox.wsgi import SandboxApp

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60
# The app's verifier token for QuickBooks' webhooks; the sandbox signs with it when subscribed.
WEBHOOK_VERIFIER_TOKEN = "e2e-webhook-verifier"  # noqa: S105 - a test stack's own
# A fresh database for the stack: migrated, the demo seeded, the demo superuser made.
SETUP_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", verbosity=0)
call_command("create_demo_superuser", verbosity=0)
"""


def free_port() -> int:
    """A port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """The stack's own database: a SQLite file, or a PostgreSQL database made for the run."""

    def __init__(self, workdir: Path, suffix: str = ""):
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith(("postgres://", "postgresql://", "pgsql://"))
        if self.postgres:
            parts = urlsplit(base)
            self.name = f"test_{parts.path.lstrip('/') or 'postgres'}_e2e{suffix}"
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin_url = urlunsplit(parts._replace(path="/postgres"))
        else:
            self.url = f"sqlite:///{workdir / 'e2e.sqlite3'}"

    def create(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(sql)


class Stack:
    """Start with `start()`, stop with `stop()`; `url` is the web server's root.

    `seed` names the sandbox's company (integrations/sandbox/seed.py, the sample one if not
    given); a stack given a seed has a database of its own, so it may run beside the session's.
    """

    def __init__(self, seed: str | None = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="distru-e2e-")
        self.workdir = Path(self._tmp.name)
        self.database = Database(self.workdir, f"_{seed.replace('-', '_')}" if seed else "")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend = Backend(Config(limits=False))
        self.backend.reset(seed=seed or "sample")
        self.server = start_in_thread(SandboxApp(self.backend))
        self.sandbox = Sandbox(self.server, self.backend)
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def env(self) -> dict[str, str]:
        """The subprocesses' environment: the real settings, pointed at this stack."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QBO_", "DJANGO_", "REDIS_", "Q_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="distru_qbo.settings",
            DJANGO_DEBUG="true",  # runserver serves the admin's static files
            DJANGO_LOG_LEVEL="WARNING",
            DJANGO_LOG_LEVEL_DJANGO="WARNING",  # not a line per request
            DATABASE_URL=self.database.url,
            REDIS_URL="",  # the ORM broker, on the stack's database
            QBO_ENVIRONMENT="local",
            QBO_SANDBOX_URL=self.sandbox.base_url,
            # Spelled out, so that no QBO_* line of a developer's .env points elsewhere.
            QBO_AUTHORIZE_URL=self.sandbox.url("/connect/oauth2"),
            QBO_TOKEN_URL=self.sandbox.url("/oauth2/v1/tokens/bearer"),
            QBO_REVOKE_URL=self.sandbox.url("/v2/oauth2/tokens/revoke"),
            QBO_API_BASE_URL=self.sandbox.base_url,
            QBO_APP_BASE_URL=self.sandbox.url("/app"),
            QBO_CLIENT_ID=self.sandbox.client_id,
            QBO_CLIENT_SECRET=self.sandbox.client_secret,
            QBO_REDIRECT_URI=f"{self.url}/settings/integrations/quickbooks/callback/",
            QBO_WEBHOOK_VERIFIER_TOKEN=WEBHOOK_VERIFIER_TOKEN,
            DISTRU_BASE_URL=self.url,  # the endpoint the QuickBooks page shows, and links
            QBO_RATE_LIMIT="false",  # the sandbox's limits are off too
            Q_WORKERS="2",
            PYTHONUNBUFFERED="1",
        )
        return env

    def qbo(self, method: str, path: str, **kwargs) -> dict:
        """Call the company's v3 API as QuickBooks' own screens would, with a fresh token."""
        token = self.sandbox.control("token")["access_token"]
        answer = self.sandbox.api(method, path, token=token, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def find(self, entity: str, **where) -> list[dict]:
        """What QuickBooks holds: the `entity` objects whose fields equal `where`."""
        answer = self.qbo("GET", "query", params={"query": select(entity, where)})
        return answer["QueryResponse"].get(entity, [])

    def webhooks(self, *, on: bool) -> dict:
        """Have the sandbox post its webhooks to the web server's endpoint, signed with the
        app's verifier token (as `make run` does), or stop; the sandbox's webhook state."""
        url = f"{self.url}/webhooks/quickbooks/" if on else None
        return self.sandbox.webhooks(url=url, verifier_token=WEBHOOK_VERIFIER_TOKEN)

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self) -> None:
        self.database.create()
        with self.log("setup").open("w") as out:
            setup = subprocess.run(  # noqa: S603 - our own code
                [sys.executable, "-c", SETUP_SCRIPT],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if setup.returncode:
            raise RuntimeError(f"Setting up the e2e database failed:\n{self.tail('setup')}")
        self._spawn("worker", "qcluster")
        self._spawn("web", "runserver", f"127.0.0.1:{self.port}", "--noreload")
        self._wait_until("web", lambda: self._answers("/admin/login/"))
        if self.processes["worker"].poll() is not None:
            raise RuntimeError(f"The worker stopped:\n{self.tail('worker')}")

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            self._end(process)
        self.server.shutdown()
        self.server.server_close()
        self.database.drop()
        self._tmp.cleanup()

    def tail(self, name: str, lines: int = 40) -> str:
        """The last lines a subprocess wrote, for a failed test's report."""
        path = self.log(name)
        text = path.read_text() if path.exists() else ""
        return "\n".join([line for line in text.splitlines() if "/static/" not in line][-lines:])

    def _spawn(self, name: str, *command: str) -> None:
        with self.log(name).open("w") as out:
            # A session of its own, so the worker's children are stopped with it.
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _answers(self, path: str) -> bool:
        try:
            return requests.get(self.url + path, timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def _wait_until(self, name: str, ready) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            process = self.processes[name]
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The {name} process did not start:\n{self.tail(name)}")
            time.sleep(0.1)

    @staticmethod
    def _end(process: subprocess.Popen) -> None:
        process.terminate()  # the cluster stops its own workers on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:  # whatever of its session is left
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
