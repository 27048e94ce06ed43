"""Changes from QuickBooks by webhook: how soon an item inactivated there is gone here, and
what the change pipeline costs in reads.

    .venv/bin/python benchmarks/webhooks_bench.py [--changes 50] [--burst 500] [--lost 10]

The product runs as deployed: `manage.py runserver` serves the webhook endpoint and a
`manage.py qcluster` (2 workers, the ORM broker unless REDIS_URL is set) runs the change
pipeline. The sandbox, in this process, is subscribed to the endpoint with the app's verifier
token and gathers changes for its default window of 1 s per notification (Intuit's sandbox
sends "near real time"; production aggregates 1, 3 or 5 minutes, which adds to every figure).
Every change is made through the sandbox's v3 API, as QuickBooks' own screens would. Reads are
counted in the sandbox's request log (GETs: the CDC read, Preferences, queries). SQL
statements are counted in this process, on one change replayed through the same endpoint and
task, since the server's and the worker's own connections cannot be watched from here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import contextmanager

from harness import bench_environment, percentile

SETTLE_TIMEOUT = 120
POLL_SECONDS = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--lost", type=int, default=10)
    args = parser.parse_args()

    inactivated = args.changes + args.lost + 1  # the 1: the change replayed in this process
    env = bench_environment(items=inactivated + args.burst, import_items=True)
    from django.conf import settings
    from django.db import connection

    from integrations.models import QboItem
    from integrations.sandbox.pytest_plugin import Sandbox
    from integrations.services.changes import changes_sync_run

    sandbox = Sandbox(env.server, env.backend)
    generated = QboItem.objects.filter(name__startswith="Generated Item").order_by("qbo_id")
    mapped = map_products(list(generated[:inactivated]))
    burst_ids = list(generated[inactivated:].values_list("qbo_id", flat=True))
    replayed, lost, timed = mapped[0], mapped[1 : 1 + args.lost], mapped[1 + args.lost :]

    @contextmanager
    def measured():
        """Reads and API calls QBO saw during the block, SQL statements of this process,
        and its seconds."""
        figures = {"sql": 0}

        def count(execute, sql, params, many, context):
            figures["sql"] += 1
            return execute(sql, params, many, context)

        env.backend.requests.clear()
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            yield figures
        figures["seconds"] = time.perf_counter() - started
        figures.update(app_calls(env.backend))

    changes_sync_run()  # the overlap replays the default items the import made, once
    with measured() as quiet:
        changes_sync_run()

    with measured() as endpoint:
        notified = replay_notification(sandbox, replayed, settings.QBO_WEBHOOK_VERIFIER_TOKEN)
    with measured() as webhook_pass:
        from integrations.tasks import webhook_changes_task

        webhook_changes_task()
    assert_visible([replayed])

    endpoint_url = env.serve() + "/webhooks/quickbooks/"
    first_round(env)
    sandbox.webhooks(url=endpoint_url, verifier_token=settings.QBO_WEBHOOK_VERIFIER_TOKEN)

    env.backend.requests.clear()
    latencies = [inactivate_and_wait(sandbox, change) for change in timed]
    settle(sandbox)
    latency_calls = app_calls(env.backend)
    notifications = sandbox.backend.webhooks.snapshot()["sent"]

    burst = measure_burst(sandbox, burst_ids)

    sandbox.webhooks(drop=True)  # every notification of these changes is lost
    for change in lost:
        inactivate(sandbox, change.item_id)
    settle(sandbox)
    with measured() as catch_up:
        run = changes_sync_run()
    assert_visible(lost)
    env.close()

    print(
        f"Changes from QuickBooks on {connection.vendor}, {os.cpu_count()} cores: runserver + "
        f"qcluster ({settings.Q_CLUSTER['workers']} workers), webhooks on, the sandbox's window 1 s"
    )
    print(
        f"  {len(latencies)} items inactivated in QuickBooks → deleted here, products on the "
        f"defaults: p50 {statistics.median(latencies):.2f} s   "
        f"p95 {percentile(latencies, 0.95):.2f} s   max {max(latencies):.2f} s"
    )
    print(
        f"    {notifications} notifications; the app made {latency_calls['reads']} reads "
        f"({latency_calls['cdc']} CDC) and {latency_calls['api']} API calls in all"
    )
    print(
        f"  one of them replayed in this process: the endpoint {endpoint['sql']} SQL statements, "
        f"{endpoint['seconds'] * 1000:.0f} ms ({notified} event); its pass "
        f"{webhook_pass['reads']} reads ({webhook_pass['cdc']} CDC), {webhook_pass['api']} API "
        f"calls, {webhook_pass['sql']} SQL statements, {webhook_pass['seconds'] * 1000:.0f} ms"
    )
    print(
        f"  burst: {len(burst_ids)} items renamed in QuickBooks in {burst['made']:.2f} s → all "
        f"here {burst['visible']:.1f} s after the first; {burst['notifications']} notifications, "
        f"{burst['events']} events, {burst['passes']} passes, {burst['cdc']} CDC reads "
        f"({burst['reads']} reads, {burst['api']} API calls in all)"
    )
    print(
        f"  reads per hour, nothing changed: {quiet['reads']} ({quiet['cdc']} CDC; "
        f"{quiet['api']} API calls), {quiet['sql']} SQL statements, "
        f"{quiet['seconds'] * 1000:.0f} ms"
    )
    print(
        f"  reads per hour with changes: the hourly pass after {len(lost)} inactivations whose "
        f"webhooks were lost: {catch_up['reads']} ({catch_up['cdc']} CDC; {catch_up['api']} API "
        f"calls), {catch_up['sql']} SQL statements, {catch_up['seconds'] * 1000:.0f} ms "
        f"[{run.message}]; plus, with webhooks, what each notification's pass reads (above)"
    )


class Mapped:
    """A generated item and the product mapped to it on both sides."""

    def __init__(self, item_id: str, product_id: int):
        self.item_id, self.product_id = item_id, product_id


def map_products(items: list) -> list[Mapped]:
    """One product per item, mapped to it as its Sales and its Purchase item."""
    from decimal import Decimal

    from products.models import Product

    products = Product.objects.bulk_create(
        Product(
            name=f"Bench Flower {n}",
            sku=f"WB-{n}",
            unit_price=Decimal("24.50"),
            sales_qbo_item=item,
            purchase_qbo_item=item,
        )
        for n, item in enumerate(items)
    )
    return [Mapped(item.qbo_id, product.pk) for item, product in zip(items, products, strict=True)]


def inactivate(sandbox, item_id: str) -> None:
    """Make the item inactive through the v3 API, as QuickBooks' screens do (a sparse update)."""
    with sandbox.backend.lock:
        token = sandbox.company.objects["Item"][item_id]["SyncToken"]
    body = {"Id": item_id, "SyncToken": token, "sparse": True, "Active": False}
    sandbox.api("POST", "item", json=body).raise_for_status()


def visible(change: Mapped) -> bool:
    """Whether the item is gone here and its product falls back to the default items."""
    from integrations.models import QboItem
    from products.models import Product

    fallen_back = Product.objects.filter(
        pk=change.product_id, sales_qbo_item__isnull=True, purchase_qbo_item__isnull=True
    )
    return fallen_back.exists() and not QboItem.objects.filter(qbo_id=change.item_id).exists()


def assert_visible(changes: list[Mapped]) -> None:
    missed = [change.item_id for change in changes if not visible(change)]
    if missed:
        raise SystemExit(f"items inactivated in QuickBooks are still here: {missed}")


def inactivate_and_wait(sandbox, change: Mapped) -> float:
    """Seconds from the inactivation in QuickBooks until it is visible here."""
    started = time.perf_counter()
    inactivate(sandbox, change.item_id)
    while not visible(change):
        if time.perf_counter() - started > SETTLE_TIMEOUT:
            raise SystemExit(f"item {change.item_id} was still here after {SETTLE_TIMEOUT} s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def replay_notification(sandbox, change: Mapped, verifier_token: str) -> int:
    """Inactivate an item with no subscription, then post the notification the sandbox would
    have sent through Django's full request path; the events kept."""
    from django.test import Client

    from integrations.models import QboWebhookEvent
    from integrations.sandbox.webhooks import CLOUDEVENTS, Change, notification_body, sign

    inactivate(sandbox, change.item_id)
    notice = Change(sandbox.realm_id, "Item", change.item_id, "Delete", sandbox.backend.now())
    body = notification_body([notice], CLOUDEVENTS)
    before = QboWebhookEvent.objects.count()
    answer = Client(HTTP_HOST="127.0.0.1").post(
        "/webhooks/quickbooks/",
        data=body,
        content_type="application/cloudevents+json",
        headers={"intuit-signature": sign(body, verifier_token)},
    )
    if answer.status_code != 200:
        raise SystemExit(f"the endpoint answered {answer.status_code}")
    return QboWebhookEvent.objects.count() - before


def measure_burst(sandbox, item_ids: list[str]) -> dict:
    """Rename every item within seconds; how soon all are here and what the app read."""
    from integrations.models import QboItem, QboWebhookEvent, SyncRun

    sent_before = sandbox.backend.webhooks.snapshot()["sent"]
    events_before = QboWebhookEvent.objects.count()
    runs_before = SyncRun.objects.filter(trigger=SyncRun.Trigger.WEBHOOK).count()
    sandbox.backend.requests.clear()
    started = time.perf_counter()
    for item_id in item_ids:
        with sandbox.backend.lock:
            raw = sandbox.company.objects["Item"][item_id]
        body = {"Id": item_id, "SyncToken": raw["SyncToken"], "sparse": True,
                "Name": f"{raw['Name']} (renamed)"}  # fmt: skip
        sandbox.api("POST", "item", json=body).raise_for_status()
    made = time.perf_counter() - started
    renamed = QboItem.objects.filter(name__endswith=" (renamed)")
    while renamed.count() < len(item_ids):
        if time.perf_counter() - started > SETTLE_TIMEOUT:
            raise SystemExit(f"the burst was not all here after {SETTLE_TIMEOUT} s")
        time.sleep(POLL_SECONDS)
    seen = time.perf_counter() - started
    settle(sandbox)
    return {
        "made": made,
        "visible": seen,
        "notifications": sandbox.backend.webhooks.snapshot()["sent"] - sent_before,
        "events": QboWebhookEvent.objects.count() - events_before,
        "passes": SyncRun.objects.filter(trigger=SyncRun.Trigger.WEBHOOK).count() - runs_before,
        **app_calls(sandbox.backend),
    }


def app_calls(backend) -> dict:
    """The app's calls in the sandbox's log (the benchmark's own are POSTs to Item)."""
    from integrations.sandbox.backend import DEFAULT_REALM_ID

    log = [r for r in backend.requests if r.get("realm_id") == DEFAULT_REALM_ID]
    ours = [r for r in log if not (r["method"] == "POST" and r.get("entity") == "Item")]
    return {
        "api": len(ours),
        "reads": sum(r["method"] == "GET" for r in ours),
        "cdc": sum(r.get("operation") == "cdc" for r in ours),
    }


def first_round(env) -> None:
    """Start the worker and wait for its scheduler's first round (about 30 s in), which runs
    the hourly pass the migration left due, so that it is not counted with the webhooks."""
    from integrations.models import SyncRun

    hourly = SyncRun.objects.filter(trigger=SyncRun.Trigger.HOURLY, status=SyncRun.Status.SUCCEEDED)
    before = hourly.count()
    env.spawn("qcluster")
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while hourly.count() == before:
        if time.monotonic() > deadline:
            raise SystemExit(f"the worker ran no hourly pass in {SETTLE_TIMEOUT} s")
        time.sleep(0.5)


def settle(sandbox) -> None:
    """Wait until the sandbox has nothing left to post and the pipeline nothing left to do."""
    from integrations.models import QboConnection
    from integrations.services.webhooks import webhook_events_waiting

    deadline = time.monotonic() + SETTLE_TIMEOUT
    quiet_since = None
    while time.monotonic() < deadline:
        hooks = sandbox.backend.webhooks.snapshot()
        claimed = QboConnection.objects.values_list("changes_claimed_at", flat=True).get()
        idle = not (hooks["pending"] or hooks["collecting"] or claimed or webhook_events_waiting())
        quiet_since = (quiet_since or time.monotonic()) if idle else None
        if quiet_since and time.monotonic() - quiet_since > 2:  # a task may still be queued
            return
        time.sleep(0.1)
    raise SystemExit(f"the change pipeline was still busy after {SETTLE_TIMEOUT} s")


if __name__ == "__main__":
    main()
