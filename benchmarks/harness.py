"""What every product benchmark needs: Django on a throwaway database, a sandbox, a connection.

    env = bench_environment(items=50_000)   # before importing any model
    ...
    env.close()

DATABASE_URL is honoured (point it at PostgreSQL to measure there); otherwise a fresh SQLite
file in a temporary directory is used. The sandbox runs in a thread of this process; the
product's own processes (`env.spawn("qcluster")`, `env.serve()` for runserver) run beside it
on the same database and sandbox, and `close()` stops them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class BenchEnvironment:
    sandbox_url: str
    backend: object
    server: object
    env: dict[str, str] = field(default_factory=dict)
    tmp: tempfile.TemporaryDirectory | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: tempfile.TemporaryDirectory = field(
        default_factory=lambda: tempfile.TemporaryDirectory(prefix="distru-bench-logs-")
    )

    def spawn(self, *command: str) -> subprocess.Popen:
        """`manage.py <command>` on this environment's database and sandbox, in a session of
        its own (so that close() stops its children too); its output goes to `log(command)`."""
        with self.log(command[0]).open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def log(self, command: str) -> Path:
        """Where a spawned command's output goes."""
        return Path(self.logs.name) / f"{command}.log"

    def serve(self) -> str:
        """`manage.py runserver` on a free port; its root URL, once it answers."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = self.spawn("runserver", f"127.0.0.1:{port}", "--noreload")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline:
            try:
                requests.get(f"{url}/admin/login/", timeout=2)
                return url
            except requests.ConnectionError:
                time.sleep(0.1)
        raise SystemExit(f"runserver did not answer on {url}:\n{self.log('runserver').read_text()}")

    def close(self) -> None:
        """Stop the processes spawned, the sandbox, and remove the temporary database."""
        for process in reversed(self.processes):
            process.terminate()  # qcluster stops its own workers on SIGTERM
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.logs.cleanup()
        self.server.shutdown()
        self.server.server_close()
        if self.tmp:
            self.tmp.cleanup()


def bench_environment(
    *,
    items: int = 0,
    limits: bool = False,
    latency_ms: int = 0,
    connect: bool = True,
    import_items: bool = False,
) -> BenchEnvironment:
    """Start the sandbox, set up Django against it, migrate, and (optionally) connect."""
    from integrations.sandbox.backend import Backend, Config
    from integrations.sandbox.server import start_in_thread
    from integrations.sandbox.wsgi import SandboxApp

    backend = Backend(Config(limits=limits, latency_ms=latency_ms))
    backend.reset(items=items)
    server = start_in_thread(SandboxApp(backend))
    tmp = None
    if "DATABASE_URL" not in os.environ:
        tmp = tempfile.TemporaryDirectory(prefix="distru-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    env = {
        "DJANGO_SETTINGS_MODULE": "distru_qbo.settings",
        "QBO_ENVIRONMENT": "local",
        "QBO_SANDBOX_URL": server.url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    os.environ.update(env)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    bench = BenchEnvironment(server.url, backend, server, env={**os.environ, **env}, tmp=tmp)
    if connect:
        _connect(backend, with_items=import_items)
    return bench


def _connect(backend, *, with_items: bool) -> None:
    """Connect with minted tokens, import the chart and classes, choose the key accounts."""
    from django.utils import timezone

    from integrations.models import QboAccount, QboConnection
    from integrations.sandbox.backend import DEFAULT_REALM_ID
    from integrations.services.mirror import company_mirror_refresh

    config = backend.config
    tokens = backend.oauth.mint(DEFAULT_REALM_ID, config.token_timing())
    QboConnection.objects.update_or_create(
        id=QboConnection.SINGLETON_ID,
        defaults={
            "realm_id": DEFAULT_REALM_ID,
            "status": QboConnection.Status.CONNECTED,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "access_token_expires_at": timezone.now() + timedelta(hours=1),
            "connected_at": timezone.now(),
        },
    )
    company_mirror_refresh()
    first = QboAccount.objects.filter(active=True).order_by("qbo_id")
    QboConnection.objects.update(
        default_income_account=first.filter(account_type="Income").first(),
        default_expense_account=first.filter(account_type="Cost of Goods Sold").first(),
        sales_deposit_account=first.filter(account_type="Bank").first(),
        purchase_deposit_account=first.filter(account_type="Bank").first(),
    )
    if with_items:
        from integrations.services.changes import changes_sync_run

        changes_sync_run(full=True)  # the mirror, and the default items invoices fall back to


def invoice_with_excise(*, number: str, customer, products: list, n: int, lines: int, excise):
    """An invoice of `lines` lines over the products (rotating with `n`) and the Excise Tax,
    saved and priced the way the admin saves it."""
    from decimal import Decimal

    from products.services import priced_document_recalculate
    from sales.models import Invoice, InvoiceLine, InvoiceTaxLine

    invoice = Invoice.objects.create(number=number, customer=customer)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            product=products[(n + k) % len(products)],
            quantity=k + 1,
            unit_price=Decimal("24.50"),
        )
        for k in range(lines)
    )
    InvoiceTaxLine.objects.create(invoice=invoice, tax=excise)
    return priced_document_recalculate(document=invoice)


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (0–1) of `values`, nearest-rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
