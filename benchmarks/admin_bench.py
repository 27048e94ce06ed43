"""Product admin at catalog scale: the changelist at 10 and 10,000 products, and Bulk update.

    .venv/bin/python benchmarks/admin_bench.py [--products 10000] [--repeat 5]

Requests go through Django's test Client logged in as a superuser, so every figure includes the
session and user lookups that each admin request makes. Times are medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import bench_environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    env = bench_environment(connect=False)
    from django.contrib.admin import helpers
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from integrations.models import QboItem
    from products.models import Product

    def add_products(start: int, stop: int, sales_item: QboItem) -> None:
        # Every other product mapped, so the changelist shows both items and defaults.
        Product.objects.bulk_create(
            (
                Product(name=f"Product {n:06d}", sku=f"BENCH-{n:06d}", sales_qbo_item=sales_item)
                if n % 2
                else Product(name=f"Product {n:06d}", sku=f"BENCH-{n:06d}")
            )
            for n in range(start, stop)
        )

    def measure(send) -> tuple[list[str], float]:
        """The statements of one request, and its median time over the repeats."""
        seconds = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = send()
                seconds.append(time.perf_counter() - started)
            if response.status_code not in (200, 302):
                raise SystemExit(f"unexpected {response.status_code}")
        return [q["sql"] for q in captured.captured_queries], statistics.median(seconds)

    setup_test_environment()  # lets the test Client's host in
    try:
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", "", "bench"))
        items = [QboItem.objects.create(name=f"Bench Item {n}") for n in range(2)]
        changelist = reverse("admin:products_product_changelist")
        client.get(changelist)  # first-request costs: template loading, content types

        print("product changelist (GET, superuser):")
        for size in (10, args.products):
            add_products(Product.objects.count(), size, items[0])
            statements, seconds = measure(lambda: client.get(changelist))
            print(
                f"  {size:>6} products: {len(statements)} SQL statements, {seconds * 1000:.0f} ms"
            )

        page = list(Product.objects.values_list("pk", flat=True)[:100])
        action = {
            "action": "bulk_update_qbo_items",
            helpers.ACTION_CHECKBOX_NAME: page,
            "select_across": "1",  # "Select all N products"
        }
        print(f"bulk update of {args.products} products (all selected, both sides):")
        statements, seconds = measure(lambda: client.post(changelist, {**action, "index": "0"}))
        print(f"  confirmation page: {len(statements)} SQL statements, {seconds * 1000:.0f} ms")
        runs = iter(range(args.repeat))
        statements, seconds = measure(
            lambda: client.post(
                changelist,
                {
                    **action,
                    "post": "yes",
                    # Alternate the items so that each run really changes every row.
                    "sales_qbo_item": items[next(runs) % 2].pk,
                    "purchase_qbo_item": items[0].pk,
                },
            )
        )
        updates = sum(sql.startswith("UPDATE") for sql in statements)
        mapped = Product.objects.filter(purchase_qbo_item=items[0]).count()
        print(
            f"  update: {len(statements)} SQL statements ({updates} UPDATE), "
            f"{seconds * 1000:.0f} ms; {mapped} products mapped"
        )
    finally:
        env.close()


if __name__ == "__main__":
    main()
