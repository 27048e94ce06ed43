"""Items made or edited here reach QBO through the outbox, once, with the right body."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import QboAccount, QboConnection, QboItem, SyncJob
from integrations.outbox.runner import sync_jobs_drain
from tests.factories import QboClassFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(qbo_connected, qbo_sandbox):
    """Connected, with the sandbox's income and COGS accounts chosen as key accounts."""
    income = QboAccount.objects.create(
        qbo_id="15", name="Sales of Product Income", account_type="Income"
    )
    cogs = QboAccount.objects.create(
        qbo_id="18", name="Cost of Goods Sold", account_type="Cost of Goods Sold"
    )
    QboConnection.objects.update(default_income_account=income, default_expense_account=cogs)
    return qbo_sandbox


def make_item(capture, **fields):
    with capture(execute=True):
        return QboItem.objects.create(**{"name": "Gelato Pre-Roll 1g", **fields})


def sandbox_item(sandbox, qbo_id):
    return sandbox.api("GET", f"item/{qbo_id}").json()["Item"]


def test_a_new_item_is_created_in_qbo_with_a_requestid(ready, django_capture_on_commit_callbacks):
    item = make_item(django_capture_on_commit_callbacks, unit_price=Decimal("4.25"))
    item.refresh_from_db()
    assert item.qbo_id and item.sync_token == "0"
    remote = sandbox_item(ready, item.qbo_id)
    assert remote["Name"] == "Gelato Pre-Roll 1g"
    assert remote["IncomeAccountRef"]["value"] == "15"
    assert remote["ExpenseAccountRef"]["value"] == "18"
    assert Decimal(str(remote["UnitPrice"])) == Decimal("4.25")
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert job.revision == 1  # recording the QBO id did not queue the item again
    creates = ready.api_requests(method="POST", entity="Item", operation="create")
    assert [c["requestid"] for c in creates] == [job.request_id]


def test_an_edit_is_a_sparse_update_with_the_current_synctoken(
    ready, django_capture_on_commit_callbacks
):
    item = make_item(django_capture_on_commit_callbacks)
    item.refresh_from_db()
    item.description = "Half-gram pre-roll"
    with django_capture_on_commit_callbacks(execute=True):
        item.save()
    item.refresh_from_db()
    remote = sandbox_item(ready, item.qbo_id)
    assert remote["Description"] == "Half-gram pre-roll"
    assert remote["SyncToken"] == item.sync_token == "1"
    assert len(ready.api_requests(entity="Item", operation="update")) == 1


def test_a_stale_synctoken_is_re_read_and_retried_once(ready, django_capture_on_commit_callbacks):
    item = make_item(django_capture_on_commit_callbacks)
    item.refresh_from_db()
    # Someone edits the item in QuickBooks: its SyncToken moves on.
    ready.api(
        "POST",
        "item",
        json={"Id": item.qbo_id, "SyncToken": "0", "sparse": True, "Description": "edited in QBO"},
    )
    item.sku = "PR-GEL-1"
    with django_capture_on_commit_callbacks(execute=True):
        item.save()
    assert SyncJob.objects.get().status == SyncJob.Status.SUCCEEDED
    assert sandbox_item(ready, item.qbo_id)["Sku"] == "PR-GEL-1"
    statuses = [r["status"] for r in ready.api_requests(entity="Item", operation="update")]
    assert statuses == [200, 400, 200]


def test_a_duplicate_name_in_qbo_fails_with_a_readable_error(
    ready, django_capture_on_commit_callbacks
):
    make_item(django_capture_on_commit_callbacks, name="Services")  # the sample company has it
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error_code == "6240"
    assert "already has this name" in job.last_error
    assert QboItem.objects.get().qbo_id == ""


def test_deleting_an_unmapped_item_inactivates_it_in_qbo(ready, django_capture_on_commit_callbacks):
    item = make_item(django_capture_on_commit_callbacks)
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        item.delete()
    remote = sandbox_item(ready, item.qbo_id)
    assert remote["Active"] is False
    assert SyncJob.objects.get().action == SyncJob.Action.DELETE


def test_without_a_connection_nothing_is_queued(db, django_capture_on_commit_callbacks):
    make_item(django_capture_on_commit_callbacks)
    assert not SyncJob.objects.exists()


def test_a_class_is_sent_only_when_class_tracking_is_on(ready, django_capture_on_commit_callbacks):
    klass = QboClassFactory(qbo_id="1", name="Wholesale")
    QboConnection.objects.update(class_tracking_per_line=False, class_tracking_per_txn=False)
    untracked = make_item(django_capture_on_commit_callbacks, name="Untracked", qbo_class=klass)
    QboConnection.objects.update(class_tracking_per_line=True)
    tracked = make_item(django_capture_on_commit_callbacks, name="Tracked", qbo_class=klass)
    untracked.refresh_from_db()
    tracked.refresh_from_db()
    assert "ClassRef" not in sandbox_item(ready, untracked.qbo_id)
    assert sandbox_item(ready, tracked.qbo_id)["ClassRef"]["value"] == "1"


def test_a_connection_dropped_after_qbo_committed_leaves_exactly_one_item(
    ready, django_capture_on_commit_callbacks
):
    before = ready.state()["realms"][ready.realm_id]["objects"]["Item"]
    ready.fail_next(entity="Item", operation="create", drop_after_commit=True)
    item = make_item(django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.qbo_id
    assert ready.state()["realms"][ready.realm_id]["objects"]["Item"] == before + 1
    creates = ready.api_requests(entity="Item", operation="create")
    assert len(creates) == 2 and len({c["requestid"] for c in creates}) == 1


def test_a_worker_killed_mid_job_is_run_again_by_the_sweeper(
    ready, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the worker never got it
        item = QboItem.objects.create(name="Killed Mid-Job")
    # As if a worker claimed it, sent the create, and died before recording the answer.
    job = SyncJob.objects.get()
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    ready.api(
        "POST",
        "item",
        params={"requestid": job.request_id},
        json={
            "Name": "Killed Mid-Job",
            "Type": "NonInventory",
            "IncomeAccountRef": {"value": "15"},
        },
    )
    assert sync_jobs_drain() == 1
    item.refresh_from_db()
    assert item.qbo_id
    names = ready.query("SELECT * FROM Item WHERE Name = 'Killed Mid-Job'")["Item"]
    assert len(names) == 1 and names[0]["Id"] == item.qbo_id


def test_a_save_during_a_push_sends_the_newer_version_too(
    ready, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        item = QboItem.objects.create(name="Raced Item")
    job = SyncJob.objects.get()
    # The worker claims revision 1; the user saves again before the answer is recorded.
    SyncJob.objects.filter(pk=job.pk).update(revision=2, claimed_revision=1)
    from integrations.outbox.runner import PushOutcome, _succeed

    result = ready.api(
        "POST",
        "item",
        json={"Name": "Raced Item", "Type": "NonInventory", "IncomeAccountRef": {"value": "15"}},
    ).json()["Item"]
    QboItem.objects.filter(pk=item.pk).update(description="newer")
    with django_capture_on_commit_callbacks(execute=True):
        _succeed(SyncJob.objects.get(), PushOutcome(result))
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert sandbox_item(ready, result["Id"])["Description"] == "newer"


def test_an_expired_connection_pauses_and_reconnecting_pushes_everything(
    ready, django_capture_on_commit_callbacks
):
    ready.revoke_tokens()
    QboConnection.objects.update(access_token_expires_at=timezone.now())
    item = make_item(django_capture_on_commit_callbacks)
    assert SyncJob.objects.get().status == SyncJob.Status.PAUSED
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED
    with django_capture_on_commit_callbacks(execute=True):
        second = QboItem.objects.create(name="Made While Expired")
    assert SyncJob.objects.filter(status=SyncJob.Status.PAUSED).count() == 2

    from integrations.services.connection import _resume_paused_pushes

    tokens = ready.control("token")
    QboConnection.objects.update(
        status=QboConnection.Status.CONNECTED,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        access_token_expires_at=timezone.now() + timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _resume_paused_pushes()
    item.refresh_from_db()
    second.refresh_from_db()
    assert item.qbo_id and second.qbo_id
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
