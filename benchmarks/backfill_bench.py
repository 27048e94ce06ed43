"""Backfill: 2,000 invoices with lines and 500 payments pushed through the outbox by a real
django-q cluster, against the sandbox with its limits on and 100 ms of latency.

    .venv/bin/python benchmarks/backfill_bench.py [--invoices 2000] [--payments 500]

Prints writes per document, reads, 429s, duplicates, and the request rate against QBO's
ceiling of 500 a minute.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal

from harness import ROOT, bench_environment, invoice_with_excise

CEILING_PER_MINUTE = 500


def make_records(invoices: int, payments: int) -> None:
    """The documents, saved the way the admin saves them, inside one transaction."""
    from django.db import transaction

    from integrations.models import QboAccount
    from products.models import Product
    from sales.models import Customer, InvoicePayment, Tax

    excise = Tax.objects.create(
        name="Excise Tax",
        rate=Decimal("15"),
        qbo_account=QboAccount.objects.get(name="Excise Tax Payable"),
    )
    products = Product.objects.bulk_create(
        Product(name=f"Bench Flower {n}", sku=f"BF-{n}", unit_price=Decimal("24.50"))
        for n in range(20)
    )
    customers = [Customer.objects.create(name=f"Bench Dispensary {n}") for n in range(20)]
    with transaction.atomic():
        made = []
        for n in range(invoices):
            made.append(
                invoice_with_excise(
                    number=f"B-{n:05d}",
                    customer=customers[n % 20],
                    products=products,
                    n=n,
                    lines=3,
                    excise=excise,
                )
            )
    with transaction.atomic():
        for invoice in made[:payments]:
            InvoicePayment.objects.create(invoice=invoice, amount=Decimal("10.00"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    env = bench_environment(limits=True, latency_ms=args.latency_ms, import_items=True)
    from integrations.models import SyncJob
    from integrations.sandbox.backend import DEFAULT_REALM_ID

    sample_payments = len(env.backend.companies[DEFAULT_REALM_ID].objects["Payment"])
    saving = time.perf_counter()
    make_records(args.invoices, args.payments)
    saved = time.perf_counter() - saving
    env.backend.requests.clear()
    # The records are all saved (their jobs queued) before the workers start, so what is
    # measured is how fast the outbox drains, not how fast this script saves.
    cluster = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env={**env.env, "Q_WORKERS": str(args.workers)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    total = args.invoices + args.payments
    try:
        started = time.perf_counter()
        unfinished = [SyncJob.Status.PENDING, SyncJob.Status.RUNNING]
        while SyncJob.objects.filter(status__in=unfinished).exists():
            if time.perf_counter() - started > 3600:
                raise SystemExit("the backfill did not finish within an hour")
            time.sleep(0.5)
        wall = time.perf_counter() - started
    finally:
        cluster.terminate()
        cluster.wait(timeout=60)

    failed = SyncJob.objects.filter(status=SyncJob.Status.FAILED)
    for job in failed[:5]:
        print(f"  failed: {job.label}: {job.last_error}")
    log = [r for r in env.backend.requests if r.get("realm_id") == DEFAULT_REALM_ID]
    writes = collections.Counter(
        r["entity"] for r in log if r["method"] == "POST" and r.get("status") == 200
    )
    reads = [r for r in log if r["method"] == "GET" or r.get("operation") == "query"]
    throttled = sum(1 for r in log if r.get("status") == 429)
    company = env.backend.companies[DEFAULT_REALM_ID]
    numbers = collections.Counter(o.get("DocNumber") for o in company.objects["Invoice"].values())
    duplicates = sum(n - 1 for n in numbers.values() if n > 1)
    duplicates += max(0, len(company.objects["Payment"]) - sample_payments - args.payments)
    # The rate is over the span of the requests QBO saw: the cluster's start-up is not QBO's.
    times = sorted(datetime.fromisoformat(r["time"]) for r in log)
    first = times[0].isoformat()
    span = max((times[-1] - times[0]).total_seconds(), 1.0)
    rate = len(log) / span * 60
    print(f"backfill of {args.invoices} invoices (3 lines + excise) and {args.payments} payments,")
    print(
        f"sandbox limits on, {args.latency_ms} ms latency, a real qcluster of {args.workers} "
        f"workers ({first[:19]}):"
    )
    print(f"  records saved in    {saved:.1f} s, before the workers start")
    print(f"  drained in          {wall:.1f} s; QBO saw requests for {span:.1f} s")
    print(f"  writes              {dict(writes)}")
    print(f"  writes per document {(writes['Invoice'] + writes['Payment']) / total:.3f}")
    print(f"  reads               {len(reads)} (customer name lookups before first create)")
    print(f"  429 answers         {throttled}")
    print(f"  duplicates          {duplicates}")
    print(f"  failed jobs         {failed.count()}")
    print(f"  requests per minute {rate:.0f} = {rate / CEILING_PER_MINUTE:.0%} of the ceiling")
    env.close()


if __name__ == "__main__":
    main()
