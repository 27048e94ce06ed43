"""Backfill: 2,000 invoices with lines and 500 payments pushed through the outbox by a real
django-q cluster, against the sandbox with its limits on and 100 ms of latency.

    .venv/bin/python benchmarks/backfill_bench.py [--invoices 2000] [--payments 500]

Prints documents a minute, the batches and single requests sent, writes per document, reads,
429s, duplicates, failed jobs, and the request rate against QBO's ceilings (500 requests and
40 batch requests a minute), with the machine's load beside them.
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from datetime import datetime
from decimal import Decimal

from harness import bench_environment, invoice_with_excise

CEILING_PER_MINUTE = 500
BATCH_CEILING_PER_MINUTE = 40


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
    env.env["Q_WORKERS"] = str(args.workers)
    env.spawn("qcluster")
    total = args.invoices + args.payments
    started = time.perf_counter()
    unfinished = [SyncJob.Status.PENDING, SyncJob.Status.RUNNING]
    while SyncJob.objects.filter(status__in=unfinished).exists():
        if time.perf_counter() - started > 3600:
            env.close()
            raise SystemExit("the backfill did not finish within an hour")
        time.sleep(0.5)
    wall = time.perf_counter() - started

    load = os.getloadavg()
    failed = SyncJob.objects.filter(status=SyncJob.Status.FAILED)
    for job in failed[:5]:
        print(f"  failed: {job.label}: {job.last_error}")
    log = [r for r in env.backend.requests if r.get("realm_id") == DEFAULT_REALM_ID]
    answered = [r for r in log if r["method"] == "POST" and r.get("status") == 200]
    batches = [r for r in answered if r.get("operation") == "batch"]
    # A batch resent after a lost answer is replayed by QBO, not done again: count it once.
    done = {r["requestid"]: r for r in batches}.values()
    writes = collections.Counter(r["entity"] for r in answered if r.get("operation") != "batch")
    singles = sum(writes.values())
    writes.update(item.split()[0] for r in done for item in r["items"])
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
    stamps = sorted(datetime.fromisoformat(r["time"]).timestamp() for r in batches)
    busiest = max(
        (sum(1 for t in stamps[i:] if t < s + 60) for i, s in enumerate(stamps)), default=0
    )
    print(f"  records saved in    {saved:.1f} s, before the workers start")
    print(f"  drained in          {wall:.1f} s; QBO saw requests for {span:.1f} s")
    per_minute = total / wall * 60
    print(
        f"  documents a minute  {per_minute:.0f} (drain); {total / span * 60:.0f} over QBO's span"
    )
    print(
        f"  batches             {len(batches)} requests ({len(done)} distinct), "
        f"{sum(len(r['items']) for r in done)} operations; most in any 60 s {busiest} "
        f"(ceiling {BATCH_CEILING_PER_MINUTE})"
    )
    print(f"  single writes       {singles}")
    print(f"  writes              {dict(writes)}")
    print(f"  writes per document {(writes['Invoice'] + writes['Payment']) / total:.3f}")
    print(f"  reads               {len(reads)} (customer name lookups before first create)")
    print(f"  429 answers         {throttled}")
    print(f"  duplicates          {duplicates}")
    print(f"  failed jobs         {failed.count()}")
    print(f"  requests per minute {rate:.0f} = {rate / CEILING_PER_MINUTE:.0%} of the ceiling")
    print(
        f"  load average        {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    env.close()


if __name__ == "__main__":
    main()
