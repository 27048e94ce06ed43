"""Soak under faults: outbox jobs (invoices, their payments, bills) pushed by two worker
processes against the sandbox while it answers about 10% of API requests with a random fault.
Whenever more than 30 jobs are due the workers send batches, so batches meet the faults too.

    .venv/bin/python benchmarks/soak.py [--jobs 10000] [--fault-rate 0.1] [--seed 7] [--json F]

Two `manage.py qcluster` processes (one worker each) drain the outbox. The sandbox runs in a
thread of this process with its limits off (the faults supply the 429s) and draws throttle,
server_error, timeout, drop_after_commit and token_expiry faults from a seeded generator.
Afterwards every record must be in QBO exactly once, no job may be left unfinished or failed,
and the workers' memory must stay flat. Prints the totals; exits 1 when any check fails.

The database is a temporary SQLite file, or, when DATABASE_URL names PostgreSQL, a database of
its own (`<name>_soak_<pid>`) created next to that one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from harness import ROOT, bench_environment, invoice_with_excise

CLIENT_TIMEOUT_SECONDS = 1.0  # the client gives up on a `timeout` fault after this long
FAULT_TIMEOUT_MS = 1500  # ... which holds the answer back for longer than that
WORKER_PROCESSES = 2
BATCH = 50  # records saved per transaction, as a busy admin or an import would
# Saving waits while this many jobs are pending, so the load is the steady one of people at
# work rather than one burst (`--backlog 0` saves everything at once: the burst case).
BACKLOG = 60
PAYMENT_LAG = 20  # a payment is taken on the invoice saved this many invoices earlier
# Flat memory: between the middle and the end of the run the workers' RSS may grow by at most
# this share of its middle value, or this many MB, whichever is larger.
FLAT_SHARE = 0.05
FLAT_FLOOR_MB = 16.0


@dataclass
class SoakResult:
    """What the soak measured; `passed` is what the exit status and the CI test check."""

    jobs: int
    jobs_by_kind: dict
    dependency_jobs: int
    workers: int
    database: str
    fault_rate: float
    faults: dict
    api_requests: int
    batch_requests: int
    batched_operations: int
    failed_attempts: int
    write_resends: int
    job_reruns: int
    duplicates: int
    lost: int
    wall_seconds: float
    saved_seconds: float
    memory_mb: dict
    memory_growth_mb: float
    memory_bound_mb: float
    problems: list = field(default_factory=list)

    @property
    def memory_flat(self) -> bool:
        return self.memory_growth_mb <= self.memory_bound_mb

    @property
    def passed(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.memory_flat


# ---- the database -------------------------------------------------------------------------


@contextlib.contextmanager
def soak_database():
    """Point DATABASE_URL at a throwaway database: a SQLite file, or a PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        with tempfile.TemporaryDirectory(prefix="distru-soak-") as tmp:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/soak.sqlite3"
            yield "sqlite"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_soak_{os.getpid()}"[:63]
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield f"postgresql ({name})"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- memory -------------------------------------------------------------------------------


def tree_rss_kb(root: int) -> int:
    """VmRSS of a process and all its descendants, in kB (0 once the process is gone)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                children[int(stat.rpartition(")")[2].split()[1])].append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class MemorySampler(threading.Thread):
    """Samples the workers' total RSS every `every` seconds until stopped."""

    def __init__(self, pids: list[int], every: float = 1.0):
        super().__init__(name="soak-memory", daemon=True)
        self.pids = pids
        self.every = every
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self.stopped.wait(self.every):
            total = sum(tree_rss_kb(pid) for pid in self.pids)
            self.samples.append((time.perf_counter() - started, total / 1024))

    def window(self, start: float, end: float) -> float:
        """The median RSS (MB) of the samples between two shares (0-1) of the run."""
        span = self.samples[-1][0]
        values = [mb for t, mb in self.samples if start * span <= t <= end * span]
        return statistics.median(values or [self.samples[-1][1]])


# ---- the load -----------------------------------------------------------------------------


def plan(jobs: int) -> list[str]:
    """The kinds of the records to save, in order: half invoices, a quarter each of the rest."""
    pattern = ["invoice", "bill", "invoice", "payment"]
    kinds = [pattern[n % 4] for n in range(jobs)]
    # A payment needs an invoice saved well before it; the first ones become invoices.
    invoices = 0
    for n, kind in enumerate(kinds):
        if kind == "payment" and invoices <= PAYMENT_LAG:
            kinds[n] = "invoice"
        invoices += kinds[n] == "invoice"
    return kinds


def make_reference_data() -> dict:
    """Customers, vendors, products and Excise Tax, shared by every document."""
    from integrations.models import QboAccount
    from products.models import Product
    from purchases.models import Vendor
    from sales.models import Customer, Tax

    return {
        "excise": Tax.objects.create(
            name="Excise Tax",
            rate=Decimal("15"),
            qbo_account=QboAccount.objects.get(name="Excise Tax Payable"),
        ),
        "products": Product.objects.bulk_create(
            Product(name=f"Soak Flower {n}", sku=f"SF-{n}", unit_price=Decimal("24.50"))
            for n in range(20)
        ),
        "customers": [Customer.objects.create(name=f"Soak Dispensary {n}") for n in range(40)],
        "vendors": [Vendor.objects.create(name=f"Soak Farm {n}") for n in range(15)],
    }


def save_records(
    kinds: list[str], data: dict, *, backlog: int | None = BACKLOG, until: float | None = None
) -> int:
    """Save the documents the way the admin does, BATCH per transaction, pacing to `backlog`;
    stop starting batches at `until` (a perf_counter time). How many were saved."""
    from django.db import transaction

    from integrations.models import SyncJob
    from products.services import priced_document_recalculate
    from purchases.models import PurchaseOrder, PurchaseOrderLine
    from sales.models import InvoicePayment

    products, invoices = data["products"], []
    for start in range(0, len(kinds), BATCH):
        while backlog and SyncJob.objects.filter(status=SyncJob.Status.PENDING).count() > backlog:
            time.sleep(0.2)
        if until is not None and time.perf_counter() > until:
            return start
        with transaction.atomic():
            for n in range(start, min(start + BATCH, len(kinds))):
                kind = kinds[n]
                if kind == "invoice":
                    invoice = invoice_with_excise(
                        number=f"S-{n:06d}",
                        customer=data["customers"][n % 40],
                        products=products,
                        n=n,
                        lines=2,
                        excise=data["excise"],
                    )
                    invoices.append(invoice)
                elif kind == "bill":
                    order = PurchaseOrder.objects.create(
                        number=f"P-{n:06d}",
                        vendor=data["vendors"][n % 15],
                        status=PurchaseOrder.Status.COMPLETED,
                    )
                    PurchaseOrderLine.objects.bulk_create(
                        PurchaseOrderLine(
                            purchase_order=order,
                            product=products[(n + k) % 20],
                            quantity=k + 3,
                            unit_price=Decimal("11.25"),
                        )
                        for k in range(2)
                    )
                    priced_document_recalculate(document=order)
                else:
                    paid = invoices[len(invoices) - PAYMENT_LAG]
                    InvoicePayment.objects.create(
                        invoice=paid, amount=Decimal("10.00"), reference=f"R-{n:06d}"
                    )


def wait_for_outbox(deadline: float) -> None:
    """Until no job is pending, running or paused (or the deadline passes)."""
    from django.db.models import Count

    from integrations.models import SyncJob

    unfinished = [SyncJob.Status.PENDING, SyncJob.Status.RUNNING, SyncJob.Status.PAUSED]
    shown = time.perf_counter()
    while SyncJob.objects.filter(status__in=unfinished).exists():
        if time.perf_counter() > deadline:
            return
        if time.perf_counter() - shown > 60:  # a sign of life on long runs, on stderr
            shown = time.perf_counter()
            counts = dict(SyncJob.objects.values_list("status").annotate(n=Count("pk")).order_by())
            print(f"  ... {time.strftime('%H:%M:%S')} jobs by status {counts}", file=sys.stderr)
        time.sleep(0.5)


# ---- the checks ---------------------------------------------------------------------------


def check_qbo(company, problems: list[str]) -> tuple[int, int]:
    """Duplicates and lost records: every record here is in QBO once, and nothing else is."""
    from purchases.models import PurchaseOrder, Vendor
    from sales.models import Customer, Invoice, InvoicePayment

    duplicates = lost = 0
    kinds = [
        (Invoice.objects.all(), "Invoice", lambda r: r.number, lambda o: o.get("DocNumber")),
        (PurchaseOrder.objects.all(), "Bill", lambda r: r.number, lambda o: o.get("DocNumber")),
        (
            InvoicePayment.objects.select_related("invoice"),
            "Payment",
            lambda r: r.invoice.qbo_id,
            lambda o: o["Line"][0]["LinkedTxn"][0]["TxnId"] if o.get("Line") else None,
        ),
        (Customer.objects.all(), "Customer", lambda r: r.name, lambda o: o.get("DisplayName")),
        (Vendor.objects.all(), "Vendor", lambda r: r.name, lambda o: o.get("DisplayName")),
    ]
    for records, entity, ours, theirs in kinds:
        remote = company.objects[entity]
        claimed = set()
        for record in records:
            obj = remote.get(record.qbo_id) if record.qbo_id else None
            if obj is None or theirs(obj) != ours(record):
                lost += 1
                problems.append(f"lost: {entity} for {record} (qbo id {record.qbo_id or '-'})")
            else:
                claimed.add(record.qbo_id)
        # Anything of ours in QBO that no record points at is a second copy.
        mine = {ours(record) for record in records}
        for obj_id, obj in remote.items():
            if obj_id not in claimed and theirs(obj) in mine:
                duplicates += 1
                problems.append(f"duplicate: {entity} {obj_id} ({theirs(obj)})")
    return duplicates, lost


def check_jobs(problems: list[str]) -> int:
    """Jobs that did not succeed: each is a record that should have reached QBO and did not."""
    from integrations.models import SyncJob

    stuck = SyncJob.objects.exclude(status=SyncJob.Status.SUCCEEDED)
    for job in stuck[:20]:
        problems.append(
            f"job {job.pk} {job.label}: {job.status} after {job.attempts} attempts: "
            f"{job.last_error[:300]}"
        )
    return stuck.count()


# ---- the run ------------------------------------------------------------------------------


def start_workers(env: dict, logs: Path) -> list[subprocess.Popen]:
    """Two `manage.py qcluster` processes with one worker each."""
    workers = []
    for n in range(WORKER_PROCESSES):
        log = (logs / f"qcluster-{n}.log").open("wb")
        workers.append(
            subprocess.Popen(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env={**env, "Q_WORKERS": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped as a group, never by name
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """SIGTERM each cluster (it stops its own children), then SIGKILL its group after 30 s."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_soak(
    *,
    jobs: int,
    fault_rate: float,
    seed: int,
    timeout: float,
    backlog: int = BACKLOG,
    save_for: float | None = None,
) -> SoakResult:
    """Set up, load, drain under faults, check; the figures."""
    os.environ.update(
        QBO_REQUEST_TIMEOUT=str(CLIENT_TIMEOUT_SECONDS),
        # Off: the sandbox's own limits are off too, and the file limiter under var/ratelimit
        # is shared with every other run on this host.
        QBO_RATE_LIMIT="false",
    )
    with soak_database() as database, tempfile.TemporaryDirectory(prefix="soak-logs-") as logs:
        env = bench_environment(import_items=True)
        try:
            return _run(
                env,
                Path(logs),
                database,
                jobs,
                fault_rate,
                seed,
                timeout,
                backlog,
                save_for,
            )
        finally:
            env.close()


def _run(env, logs, database, jobs, fault_rate, seed, timeout, backlog, save_for):
    from integrations.models import SyncJob
    from integrations.sandbox.backend import DEFAULT_REALM_ID

    backend = env.backend
    backend.requests = collections.deque()  # keep the whole log: retries are counted from it
    config = backend.config
    config.fault_rate, config.fault_seed = fault_rate, seed
    config.fault_timeout_ms = FAULT_TIMEOUT_MS
    backend.random_faults.reset()

    kinds = plan(jobs)
    workers = start_workers(env.env, logs)
    sampler = MemorySampler([w.pid for w in workers])
    sampler.start()
    problems: list[str] = []
    try:
        started = time.perf_counter()
        data = make_reference_data()
        limit = None if save_for is None else started + save_for
        kinds = kinds[: save_records(kinds, data, backlog=backlog, until=limit)]
        saved = time.perf_counter() - started
        wait_for_outbox(started + timeout)
        wall = time.perf_counter() - started
    finally:
        sampler.stopped.set()
        sampler.join()
        stop_workers(workers)
    if wall >= timeout:
        problems.append(f"the outbox did not drain within {timeout:.0f} s")
    for worker, n in zip(workers, range(WORKER_PROCESSES), strict=True):
        if worker.returncode not in (0, -signal.SIGTERM):
            problems.append(f"qcluster {n} exited with {worker.returncode}")

    company = backend.companies[DEFAULT_REALM_ID]
    duplicates, lost_in_qbo = check_qbo(company, problems)
    lost = max(lost_in_qbo, check_jobs(problems))
    log = [r for r in backend.requests if r.get("realm_id") == DEFAULT_REALM_ID]
    sent = collections.Counter(r["requestid"] for r in log if r.get("requestid"))
    batches = [r for r in log if r.get("operation") == "batch"]
    # A batch resent under its requestid is one batch: count its operations once.
    batched = {r["requestid"]: len(r.get("items", [])) for r in batches}
    reruns = sum(
        attempts - 1 for attempts in SyncJob.objects.values_list("attempts", flat=True) if attempts
    )
    memory = {
        "start": sampler.window(0.05, 0.10),
        "middle": sampler.window(0.45, 0.55),
        "end": sampler.window(0.90, 1.00),
        "peak": max(mb for _, mb in sampler.samples),
        "samples": len(sampler.samples),
    }
    main_kinds = collections.Counter(kinds)
    if len(kinds) < jobs:
        problems.append(f"saving stopped after {save_for:.0f} s: {len(kinds)} of {jobs} jobs")
    return SoakResult(
        jobs=len(kinds),
        jobs_by_kind=dict(main_kinds),
        dependency_jobs=SyncJob.objects.count() - len(kinds),
        workers=WORKER_PROCESSES,
        database=database,
        fault_rate=fault_rate,
        faults=backend.random_faults.snapshot(config),
        api_requests=len(log),
        batch_requests=len(batches),
        batched_operations=sum(batched.values()),
        failed_attempts=sum(1 for r in log if r.get("fault") or r.get("status") != 200),
        write_resends=sum(n - 1 for n in sent.values()),
        job_reruns=reruns,
        duplicates=duplicates,
        lost=lost,
        wall_seconds=wall,
        saved_seconds=saved,
        memory_mb=memory,
        memory_growth_mb=memory["end"] - memory["middle"],
        memory_bound_mb=max(FLAT_FLOOR_MB, FLAT_SHARE * memory["middle"]),
        problems=problems,
    )


def report(result: SoakResult) -> None:
    """Print the figures."""
    faults = result.faults
    memory = result.memory_mb
    by_kind = ", ".join(f"{n} {kind}s" for kind, n in result.jobs_by_kind.items())
    print(
        f"soak under faults: {result.jobs} jobs ({by_kind}) + {result.dependency_jobs} "
        f"customer/vendor jobs, {result.workers} qcluster processes, "
        f"{result.database}"
    )
    print(
        f"  wall time          {result.wall_seconds:.1f} s "
        f"({result.jobs / result.wall_seconds:.1f} jobs/s; the records were all saved after "
        f"{result.saved_seconds:.1f} s)"
    )
    print(f"  API requests       {result.api_requests}")
    print(
        f"  batches            {result.batch_requests} requests carrying "
        f"{result.batched_operations} operations (a resent batch counted once)"
    )
    print(
        f"  faults injected    {faults['total']} of {faults['drawn']} drawn "
        f"({faults['total'] / max(faults['drawn'], 1):.1%}): "
        + ", ".join(f"{k} {v}" for k, v in faults["injected"].items())
    )
    print(
        f"  failed attempts    {result.failed_attempts} "
        "(requests faulted or not answered 200, natural 401s included)"
    )
    print(
        f"  retries            {result.write_resends} writes re-sent with a requestid already "
        f"seen; {result.job_reruns} job re-runs (attempts beyond the first)"
    )
    print(f"  duplicates         {result.duplicates}")
    print(f"  lost               {result.lost}")
    print(
        f"  memory (RSS, MB)   start {memory['start']:.1f}  middle {memory['middle']:.1f}  "
        f"end {memory['end']:.1f}  peak {memory['peak']:.1f}  "
        f"({memory['samples']} samples)"
    )
    verdict = "flat" if result.memory_flat else "GROWING"
    print(
        f"  memory growth      {result.memory_growth_mb:+.1f} MB in the second half, bound "
        f"{result.memory_bound_mb:.1f} MB: {verdict}"
    )
    for problem in result.problems[:30]:
        print(f"  ! {problem}")
    print("PASS" if result.passed else "FAIL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to drain")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--backlog",
        type=int,
        default=BACKLOG,
        help="saving waits while this many jobs are pending (0: save everything at once)",
    )
    parser.add_argument(
        "--save-for",
        type=float,
        help="stop saving new records after this many seconds, then drain and check what was "
        "saved (for a slow machine; the figures say how many jobs ran)",
    )
    args = parser.parse_args()
    # Stopped with SIGTERM, unwind as on Ctrl-C, so the workers are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    result = run_soak(
        jobs=args.jobs,
        fault_rate=args.fault_rate,
        seed=args.seed,
        timeout=args.timeout,
        backlog=args.backlog,
        save_for=args.save_for,
    )
    report(result)
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "passed": result.passed}, indent=2))
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
