"""Push latency: from a QBO item saved here to it being present in the sandbox.

    .venv/bin/python benchmarks/push_bench.py [--items 30]

A real django-q cluster runs in a subprocess (`manage.py qcluster`, the ORM broker unless
REDIS_URL is set); the item is saved in this process, and the sandbox is polled in memory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from harness import ROOT, bench_environment, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30)
    args = parser.parse_args()

    env = bench_environment()
    from django.db import transaction

    from integrations.models import QboItem
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
        latencies = []
        for n in range(args.items):
            name = f"Bench Item {n:04d}"
            started = time.perf_counter()
            with transaction.atomic():
                QboItem.objects.create(name=name)
            while not any(o.get("Name") == name for o in company.objects["Item"].values()):
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"{name} never reached the sandbox")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
    finally:
        cluster.terminate()
        cluster.wait(timeout=30)
        env.close()
    creates = [r for r in env.backend.requests if r.get("operation") == "create"]
    print(f"push latency over {len(latencies)} items (save → present in QBO), real qcluster:")
    print(
        f"  p50 {statistics.median(latencies) * 1000:.0f} ms   "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms   "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(f"  API creates: {len(creates)} for {len(latencies)} items")


if __name__ == "__main__":
    main()
