"""Push latency: from a record saved here to it being present in the sandbox.

    .venv/bin/python benchmarks/push_bench.py [--count 30]

A real django-q cluster runs in a subprocess (`manage.py qcluster`, the ORM broker unless
REDIS_URL is set); each record is saved in this process, and the sandbox is polled in memory.
Two kinds are measured: a QBO item made here, and an invoice (2 lines and Excise Tax) for a
customer already in QBO.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from harness import ROOT, bench_environment, percentile


def save_item(n: int) -> tuple[str, str]:
    from integrations.models import QboItem

    QboItem.objects.create(name=f"Bench Item {n:04d}")
    return "Item", f"Bench Item {n:04d}"


def save_invoice(n: int) -> tuple[str, str]:
    from integrations.models import QboAccount
    from products.models import Product
    from products.services import priced_document_recalculate
    from sales.models import Customer, Invoice, Tax

    customer, _ = Customer.objects.get_or_create(name="Mary's Dispensary")
    product, _ = Product.objects.get_or_create(
        sku="BENCH-1", defaults={"name": "Bench Flower", "unit_price": Decimal("24.50")}
    )
    tax, _ = Tax.objects.get_or_create(
        name="Excise Tax",
        defaults={
            "rate": Decimal("15"),
            "qbo_account": QboAccount.objects.get(name="Excise Tax Payable"),
        },
    )
    invoice = Invoice.objects.create(number=f"L-{n:05d}", customer=customer)
    for quantity in (2, 5):
        invoice.lines.create(product=product, quantity=quantity, unit_price=product.unit_price)
    invoice.tax_lines.create(tax=tax)
    priced_document_recalculate(document=invoice)
    return "Invoice", invoice.number


def measure(company, save, count: int) -> list[float]:
    """Save `count` records one at a time; the seconds until each is in the sandbox."""
    from django.db import transaction

    field = {"Item": "Name", "Invoice": "DocNumber"}
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        with transaction.atomic():
            entity, key = save(n)
        while not any(o.get(field[entity]) == key for o in company.objects[entity].values()):
            if time.perf_counter() - started > 30:
                raise SystemExit(f"{entity} {key} never reached the sandbox")
            time.sleep(0.005)
        latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()

    env = bench_environment(import_items=True)
    from integrations.sandbox.backend import DEFAULT_REALM_ID

    cluster = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    company = env.backend.companies[DEFAULT_REALM_ID]
    try:
        time.sleep(3)  # let the cluster's workers start
        results = {
            kind: measure(company, save, args.count)
            for kind, save in (("items", save_item), ("invoices", save_invoice))
        }
    finally:
        cluster.terminate()
        cluster.wait(timeout=30)
        env.close()
    print("push latency (save → present in QBO), real qcluster:")
    for kind, latencies in results.items():
        print(
            f"  {len(latencies)} {kind:9} p50 {statistics.median(latencies) * 1000:.0f} ms   "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms   "
            f"max {max(latencies) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
