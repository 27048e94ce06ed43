"""The change pipeline's hourly pass: one CDC read since the watermark for the lists and the
pushed documents; a full reconcile of the lists when CDC cannot serve."""

from datetime import datetime, timedelta
from urllib import parse

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.sandbox.entities import SPECS
from integrations.services.changes import changes_sync_run
from integrations.services.remote_changes import transaction_entities
from integrations.tasks import changes_sync_task
from tests.items.conftest import (
    api_calls,
    mirrored,
    qbo_item,
    qbo_item_update,
    qbo_items_bulk_create,
    watermark_age,
)

pytestmark = pytest.mark.django_db


def test_with_no_changes_the_pass_is_one_read_and_a_few_statements(synced):
    """One CDC read: the preferences, no CDC entity, are read only when something changed."""
    changes_sync_run()  # the overlap replays the default items once; they are unchanged
    synced.control("requests/clear")
    before = QboConnection.objects.get().changes_watermark

    with CaptureQueriesContext(db) as queries:
        run = changes_sync_run()

    assert api_calls(synced) == ["GET cdc"]
    assert len(queries) <= 25
    assert run.kind == SyncRun.Kind.CHANGES and run.status == SyncRun.Status.SUCCEEDED
    assert (run.created, run.updated, run.removed) == (0, 0, 0)
    assert QboConnection.objects.get().changes_watermark > before


def test_the_watermark_is_qbos_time_of_the_answer_not_ours(synced):
    """QBO's clock 20 minutes ahead of ours: the watermark follows QBO's, so the next read
    starts where QBO's answer ended, whatever our clock says."""
    synced.advance_clock(20 * 60)

    changes_sync_run()

    watermark = QboConnection.objects.get().changes_watermark
    assert abs(watermark - (timezone.now() + timedelta(minutes=20))) < timedelta(seconds=30)
    synced.control("requests/clear")
    changes_sync_run()
    (call,) = synced.api_requests(operation="cdc")
    since = datetime.fromisoformat(parse.parse_qs(call["query"])["changedSince"][0])
    assert since == watermark.replace(microsecond=0) - timedelta(minutes=10)


def test_the_one_read_asks_for_the_lists_and_every_pushed_document_type(synced):
    watermark = QboConnection.objects.get().changes_watermark

    changes_sync_run()

    (call,) = synced.api_requests(operation="cdc")
    since = datetime.fromisoformat(parse.parse_qs(call["query"])["changedSince"][0])
    entities = parse.parse_qs(call["query"])["entities"][0].split(",")
    assert entities == ["Item", "Account", "Class", *transaction_entities()]
    assert set(transaction_entities()) >= {"Invoice", "Payment", "Bill", "BillPayment"}
    assert watermark - timedelta(minutes=15) < since < watermark


def test_new_and_changed_items_accounts_and_classes_arrive(synced):
    qbo_item_update(synced, "Blue Dream 3.5g", Name="Blue Dream 3.5g (new label)", UnitPrice=27)
    income = {"value": qbo_item(synced, "Blue Dream 3.5g (new label)")["IncomeAccountRef"]["value"]}
    synced.api(
        "POST",
        "item",
        json={"Name": "Runtz 3.5g", "Type": "NonInventory", "IncomeAccountRef": income},
    ).raise_for_status()
    synced.api(
        "POST", "account", json={"Name": "Consulting Income", "AccountType": "Income"}
    ).raise_for_status()
    synced.api("POST", "class", json={"Name": "Farmers Markets"}).raise_for_status()
    synced.control("requests/clear")

    run = changes_sync_run()

    assert api_calls(synced) == ["GET cdc", "GET preferences"]  # things changed: read them
    assert (run.created, run.updated) == (1, 1)
    assert mirrored("Blue Dream 3.5g (new label)").unit_price == 27
    assert mirrored("Blue Dream 3.5g") is None
    assert mirrored("Runtz 3.5g").income_account.name == "Sales of Product Income"
    assert QboAccount.objects.filter(name="Consulting Income", account_type="Income").exists()
    assert QboClass.objects.filter(name="Farmers Markets").exists()


def test_a_hundred_changed_items_take_one_read(synced):
    qbo_items_bulk_create(synced, 100)
    synced.control("requests/clear")

    run = changes_sync_run()

    assert api_calls(synced) == ["GET cdc", "GET preferences"]
    assert run.created == 100


def test_a_window_over_30_days_falls_back_to_a_full_reconcile(synced):
    """The documents get the 30 days CDC still holds; the lists are read in full."""
    watermark_age(timedelta(days=31))

    run = changes_sync_run()

    calls = api_calls(synced)
    assert calls[0] == "GET cdc" and calls.count("GET cdc") == 1
    (call,) = synced.api_requests(operation="cdc")
    since = datetime.fromisoformat(parse.parse_qs(call["query"])["changedSince"][0])
    assert timezone.now() - since < timedelta(days=30)
    assert any("STARTPOSITION 1 MAXRESULTS 1000" in call for call in calls)
    assert run.kind == SyncRun.Kind.ITEMS_FULL and run.status == SyncRun.Status.SUCCEEDED
    assert "30-day" in run.details[0]["text"]
    connection = QboConnection.objects.get()
    assert timezone.now() - connection.changes_watermark < timedelta(minutes=1)


def test_a_window_under_30_days_is_still_one_cdc_call(synced):
    watermark_age(timedelta(days=29))

    changes_sync_run()

    assert api_calls(synced) == ["GET cdc"]


def test_an_answer_at_the_cap_falls_back_to_a_full_reconcile(synced):
    """The lists are reconciled in full; the documents are asked for type by type."""
    qbo_items_bulk_create(synced, 1000)
    synced.control("requests/clear")

    run = changes_sync_run()

    asked = [
        parse.parse_qs(call["query"])["entities"][0]
        for call in synced.api_requests(operation="cdc")
    ]
    assert asked == [",".join(["Item", "Account", "Class", *transaction_entities()])] + list(
        transaction_entities()
    )
    cdc_run = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).first()
    assert "1000" in cdc_run.details[0]["text"] and "Item" in cdc_run.details[0]["text"]
    assert run.kind == SyncRun.Kind.ITEMS_FULL and run.status == SyncRun.Status.SUCCEEDED
    assert QboItem.objects.filter(name__startswith="Bulk ").count() == 1000


def test_an_answer_of_1000_across_entities_falls_back_to_a_full_reconcile(synced):
    """QBO's cap of 1000 is on the whole CDC answer: 650 items and 350 classes fill it, each
    under 1000, and what the answer left out still arrives through the reconcile."""
    qbo_items_bulk_create(synced, 650)
    with synced.backend.lock:
        for n in range(350):
            synced.company.create(SPECS["Class"], {"Name": f"Bulk class {n:03d}"})
    synced.control("requests/clear")

    run = changes_sync_run()

    cdc_run = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).first()
    assert cdc_run.details[0]["text"].startswith("QuickBooks sent 1000 changes (Item ")
    assert run.kind == SyncRun.Kind.ITEMS_FULL and run.status == SyncRun.Status.SUCCEEDED
    assert QboItem.objects.filter(name__startswith="Bulk ").count() == 650
    assert QboClass.objects.filter(name__startswith="Bulk class ").count() == 350


def test_a_never_imported_mirror_gets_a_full_import(chart):
    run = changes_sync_run()

    assert run.kind == SyncRun.Kind.ITEMS_FULL
    assert "never fully imported" in run.details[0]["text"]


def test_malformed_objects_are_skipped_with_a_line_in_the_log(synced):
    stamp = {"MetaData": {"LastUpdatedTime": synced.backend.time()}}
    with synced.backend.lock:
        items = synced.company.objects["Item"]
        items["no-id"] = {"Name": "Ghost", "Type": "NonInventory", "Active": True, **stamp}
        items["9001"] = {"Id": "9001", "Name": "Gizmo", "Type": "Widget", "SyncToken": "0", **stamp}
        synced.company.objects["Account"]["no-id"] = {"Name": "Nameless", **stamp}
    qbo_item_update(synced, "Distribution Fee", UnitPrice=175)

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED
    texts = [note["text"] for note in run.details if note["event"] == "skipped"]
    assert "Item “Ghost” was skipped: it has no Id." in texts
    assert "Item “Gizmo” was skipped: its Type 'Widget' is unknown." in texts
    assert "Account “Nameless” was skipped: it has no Id." in texts
    assert mirrored("Distribution Fee").unit_price == 175  # the good rows still arrive
    assert not QboItem.objects.filter(name__in=["Ghost", "Gizmo"]).exists()


def test_throttling_during_a_sync_is_retried_by_the_client(synced):
    synced.fail_next(status=429, path="/cdc")
    qbo_item_update(synced, "Distribution Fee", UnitPrice=180)

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert [call["status"] for call in synced.api_requests(operation="cdc")] == [429, 200]
    assert mirrored("Distribution Fee").unit_price == 180


def test_an_expired_access_token_is_refreshed_mid_sync(synced):
    synced.expire_tokens()
    qbo_item_update(synced, "Distribution Fee", UnitPrice=190)
    old_token = QboConnection.objects.get().access_token

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert QboConnection.objects.get().access_token != old_token
    assert mirrored("Distribution Fee").unit_price == 190


def test_a_failed_sync_keeps_the_watermark_so_the_next_run_catches_up(synced):
    before = QboConnection.objects.get().changes_watermark
    synced.fail_next(status=400, path="/cdc", code="6000")

    with pytest.raises(Exception, match="Injected"):
        changes_sync_run()

    assert SyncRun.objects.first().status == SyncRun.Status.FAILED
    connection = QboConnection.objects.get()
    assert connection.changes_watermark == before
    assert connection.changes_claimed_at is None  # the next pass is not held up


def test_a_pass_asked_for_while_one_runs_is_left_to_that_worker(synced):
    """Another worker holds the pipeline: nothing is read here, and that worker is told to
    run once more, for this trigger."""
    running = SyncRun.objects.create(kind=SyncRun.Kind.CHANGES)
    QboConnection.objects.update(changes_claimed_at=timezone.now())

    assert changes_sync_run(trigger=SyncRun.Trigger.SYNC_NOW) == running
    assert api_calls(synced) == []
    assert QboConnection.objects.get().changes_pending == SyncRun.Trigger.SYNC_NOW


def test_a_claim_left_by_a_worker_that_died_is_taken_over_after_an_hour(synced):
    QboConnection.objects.update(changes_claimed_at=timezone.now() - timedelta(minutes=61))

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED and api_calls(synced)[0] == "GET cdc"
    assert QboConnection.objects.get().changes_claimed_at is None


def test_the_hourly_task_does_nothing_while_disconnected(synced):
    QboConnection.objects.update(status=QboConnection.Status.EXPIRED)

    assert changes_sync_task() is None
    assert api_calls(synced) == []


def test_an_item_of_a_type_left_out_is_named_in_the_hourly_log(synced):
    made = synced.api("POST", "item", json={"Name": "Tinctures", "Type": "Category"})
    assert made.status_code == 200, made.text

    run = changes_sync_run()

    assert run.kind == SyncRun.Kind.CHANGES
    texts = [note["text"] for note in run.details]
    assert (
        "“Tinctures” was not imported: it is a category, which groups items and which "
        "QuickBooks refuses on a transaction line." in texts
    )
    assert not mirrored("Tinctures")
