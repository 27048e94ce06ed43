"""Item sync at catalog scale: the full import, then the hourly sync with 0 and 100 changes.

    .venv/bin/python benchmarks/items_bench.py [--items 50000] [--small 10000]

The full import runs at two catalog sizes, so that API calls can be seen to be ceil(N/1000)
plus a constant and SQL statements to grow with the pages, not the items. API calls are read
from the sandbox's request log; SQL statements are counted by a connection execute wrapper;
peak memory is traced (tracemalloc) on a separate import of the large catalog, because
tracing slows the code it traces. Django runs with DEBUG off so that it keeps no query log.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import time
import tracemalloc
from contextlib import contextmanager

from harness import bench_environment

CHANGED = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_DEBUG", "False")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    env = bench_environment(items=args.small)
    from django.db import connection

    from integrations.models import QboConnection, QboItem, SyncRun
    from integrations.outbox.signals import outbox_suppressed
    from integrations.sandbox.backend import DEFAULT_REALM_ID
    from integrations.sandbox.entities import SPECS
    from integrations.services.changes import changes_sync_run

    backend = env.backend

    @contextmanager
    def measured():
        """Counts API calls and SQL statements of the block, and its seconds."""
        figures = {"sql": 0}

        def count(execute, sql, params, many, context):
            figures["sql"] += 1
            return execute(sql, params, many, context)

        backend.requests.clear()
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            yield figures
        figures["seconds"] = time.perf_counter() - started
        calls = list(backend.requests)
        figures["api"] = len(calls)
        figures["reads"] = sum(call["method"] == "GET" for call in calls)

    def catalog(items: int) -> int:
        """Reseed QBO with `items` items (tokens stay valid), empty the mirror; N to import."""
        backend.seed(items=items)
        with outbox_suppressed():
            QboItem.objects.all().delete()
        QboConnection.objects.update(items_full_synced_at=None, changes_watermark=None)
        statement = "SELECT COUNT(*) FROM Item WHERE Type IN ('NonInventory', 'Service')"
        return backend.query(DEFAULT_REALM_ID, statement)["QueryResponse"]["totalCount"]

    def full_import() -> dict:
        with measured() as figures:
            run = changes_sync_run(full=True)
        assert run.status == SyncRun.Status.SUCCEEDED, run.message
        figures["items"] = QboItem.objects.count()
        return figures

    print(f"Full import (company refresh, items, default items) on {connection.vendor}")
    print(f"{'N active':>9} {'API calls':>10} {'reads':>6} {'ceil(N/1000)':>13} {'constant':>9} "
          f"{'SQL':>6} {'seconds':>8}")  # fmt: skip
    rows = []
    for size in (args.small, args.items):
        active = catalog(size)
        figures = full_import()
        pages = math.ceil(active / 1000)
        rows.append((pages, figures["sql"]))
        print(f"{active:>9} {figures['api']:>10} {figures['reads']:>6} {pages:>13} "
              f"{figures['api'] - pages:>9} {figures['sql']:>6} "
              f"{figures['seconds']:>8.1f}")  # fmt: skip
    (small_pages, small_sql), (large_pages, large_sql) = rows
    per_page = (large_sql - small_sql) / (large_pages - small_pages)
    print(f"SQL statements = {small_sql - per_page * small_pages:.0f} + {per_page:.1f} per page")

    catalog(args.items)
    tracemalloc.start()
    changes_sync_run(full=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"Peak traced memory of the {args.items}-item import: {peak / 2**20:.1f} MiB")

    changes_sync_run()  # the overlap replays the default items made by the import once
    with measured() as quiet:
        run = changes_sync_run()
    print(f"Hourly sync, no changes: {quiet['reads']} API reads ({quiet['api']} calls), "
          f"{quiet['sql']} SQL statements, {quiet['seconds'] * 1000:.0f} ms "
          f"[{run.get_kind_display()}]")  # fmt: skip

    company = backend.companies[DEFAULT_REALM_ID]
    with backend.lock:  # a QBO user renames 100 items
        generated = [r for r in company.objects["Item"].values() if r["Name"].startswith("Gen")]
        for raw in generated[:CHANGED]:
            body = {"Id": raw["Id"], "SyncToken": raw["SyncToken"], "sparse": True,
                    "Name": raw["Name"] + " (renamed)"}  # fmt: skip
            company.update(SPECS["Item"], body)
    with measured() as busy:
        run = changes_sync_run()
    print(f"Hourly sync, {CHANGED} changed items: {busy['reads']} API reads "
          f"({busy['api']} calls), {busy['sql']} SQL statements, "
          f"{busy['seconds'] * 1000:.0f} ms [{run.get_kind_display()}: {run.message}]")  # fmt: skip
    env.close()


if __name__ == "__main__":
    main()
