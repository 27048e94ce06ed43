"""History that stays: every sync run, named by what started it, and every push attempt are
kept, browsable in the admin, listed on each record, and pruned only by QBO_HISTORY_DAYS."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from integrations.models import PushAttempt, QboWebhookEvent, SyncJob, SyncRun
from integrations.outbox.runner import sync_job_run
from integrations.schedules import HISTORY_PRUNE_SCHEDULE
from integrations.tasks import changes_sync_task, sync_history_prune_task
from purchases.models import PurchaseOrder
from sales.models import Customer
from tests import factories
from tests.integrations.test_connect_flow import connect
from tests.outbox.test_documents import completed_order, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def excise(synced):
    from integrations.models import QboAccount

    return factories.TaxFactory(
        rate=Decimal("15"), qbo_account=QboAccount.objects.get(name="Excise Tax Payable")
    )


def test_connect_names_its_runs(admin_client, qbo_sandbox):
    connect(admin_client)
    assert set(SyncRun.objects.values_list("kind", "trigger")) == {
        (SyncRun.Kind.CHANGES, SyncRun.Trigger.CONNECT),
        (SyncRun.Kind.CONNECT, SyncRun.Trigger.CONNECT),
        (SyncRun.Kind.ITEMS_FULL, SyncRun.Trigger.CONNECT),
    }


def test_the_hourly_run_sync_now_and_refresh_accounts_name_their_runs(admin_client, synced):
    SyncRun.objects.all().delete()
    changes_sync_task()
    admin_client.post(reverse("integrations:sync"))
    admin_client.post(reverse("integrations:key_accounts"), {"refresh": "1"})
    assert list(SyncRun.objects.order_by("pk").values_list("kind", "trigger")) == [
        (SyncRun.Kind.CHANGES, SyncRun.Trigger.HOURLY),
        (SyncRun.Kind.CHANGES, SyncRun.Trigger.SYNC_NOW),
        (SyncRun.Kind.ACCOUNTS, SyncRun.Trigger.REFRESH_ACCOUNTS),
    ]
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "Sync now" in page and "Refresh accounts" in page


def test_the_command_names_its_run(synced):
    call_command("qbo_sync_items")
    assert SyncRun.objects.first().trigger == SyncRun.Trigger.COMMAND


def test_every_push_attempt_is_kept_with_what_qbo_answered(synced, push, excise):
    synced.fail_next(entity="Invoice", operation="create", fault="books_closed")
    invoice = make_invoice(push, excise)
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.status == SyncJob.Status.FAILED

    with push():
        from integrations.outbox.jobs import sync_jobs_retry

        sync_jobs_retry(job_ids=[job.pk])

    invoice_type = ContentType.objects.get_for_model(invoice)
    failure, success = PushAttempt.objects.filter(content_type=invoice_type).order_by("pk")
    assert (failure.outcome, failure.error_code) == (PushAttempt.Outcome.FAILED, "6210")
    assert failure.message.startswith("Reopen the period in QuickBooks")
    job.refresh_from_db()
    # QBO refused the first write, so the retry went with a new requestid (the error contract).
    assert success.request_id == job.request_id != failure.request_id
    assert failure.intuit_tid
    assert success.outcome == PushAttempt.Outcome.SUCCEEDED and success.intuit_tid
    assert success.job_id == job.pk and success.object_id == str(invoice.pk)
    assert success.label == job.label and (success.qbo_entity, success.action) == (
        "Invoice",
        SyncJob.Action.UPSERT,
    )
    assert success.started_at <= success.finished_at
    # The customer went first, in its own attempt.
    assert PushAttempt.objects.filter(qbo_entity="Customer").count() == 1


def test_a_run_that_sends_nothing_is_no_attempt_so_a_bill_sent_once_lists_one(synced, push):
    """An order not yet completed has a job that runs and sends nothing: listing it as a
    "Synced" attempt would say a bill reached QuickBooks before there was one."""
    order = completed_order(push, status=PurchaseOrder.Status.SUBMITTED)
    assert SyncJob.objects.get(qbo_entity="Bill").status == SyncJob.Status.SUCCEEDED
    assert not PushAttempt.objects.filter(qbo_entity="Bill").exists()

    with push():
        order.status = PurchaseOrder.Status.COMPLETED
        order.save()
    attempt = PushAttempt.objects.get(qbo_entity="Bill")
    assert attempt.outcome == PushAttempt.Outcome.SUCCEEDED
    assert len(synced.api_requests(method="POST", entity="Bill")) == 1


def test_an_attempt_costs_the_runner_one_insert(synced, push):
    with push():
        customer = Customer.objects.create(name="Attempt Counter")
    SyncJob.objects.filter(object_id=str(customer.pk)).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now()
    )
    job = SyncJob.objects.get(qbo_entity="Customer")

    with CaptureQueriesContext(db) as queries:
        sync_job_run(job_id=job.pk)

    touching = [
        q["sql"] for q in queries.captured_queries if "integrations_pushattempt" in q["sql"]
    ]
    assert len(touching) == 1 and touching[0].startswith("INSERT")


def test_a_records_quickbooks_section_lists_its_attempts_and_links_to_all(
    admin_client, synced, push, excise
):
    invoice = make_invoice(push, excise)
    page = admin_client.get(reverse("admin:sales_invoice_change", args=[invoice.pk]))
    html = page.content.decode()
    assert '<ul class="push-attempts"><li>' in html and "· Synced</li>" in html
    invoice_type = ContentType.objects.get_for_model(invoice)
    link = f"content_type={invoice_type.pk}&amp;object_id={invoice.pk}"
    assert link in html

    listed = admin_client.get(
        reverse("admin:integrations_pushattempt_changelist"),
        {"content_type": invoice_type.pk, "object_id": invoice.pk},
    )
    assert [a.object_id for a in listed.context["cl"].result_list] == [str(invoice.pk)]


def test_the_history_is_browsable_by_kind_status_outcome_and_date(admin_client):
    old = timezone.now() - timedelta(days=3)
    factories.SyncRunFactory(kind=SyncRun.Kind.ITEMS_FULL, status=SyncRun.Status.FAILED)
    hourly = factories.SyncRunFactory()
    SyncRun.objects.filter(pk=hourly.pk).update(started_at=old)
    failed = factories.PushAttemptFactory(outcome=PushAttempt.Outcome.FAILED, error_code="6140")
    factories.PushAttemptFactory(started_at=old)

    def shown(model, **query):
        url = reverse(f"admin:integrations_{model}_changelist")
        response = admin_client.get(url, query)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    assert shown("syncrun", kind__exact="changes") == {hourly.pk}
    assert hourly.pk not in shown("syncrun", status__exact="failed")
    # As the filter's "Today" link asks: from local midnight, with its offset.
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    assert hourly.pk not in shown("syncrun", started_at__gte=str(today))
    assert shown("pushattempt", outcome__exact="failed") == {failed.pk}
    assert shown("pushattempt", started_at__gte=str(today)) == {failed.pk}


def test_the_history_cannot_be_edited_or_deleted_by_hand(admin_client):
    run = factories.SyncRunFactory()
    url = reverse("admin:integrations_syncrun_delete", args=[run.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert SyncRun.objects.filter(pk=run.pk).exists()


def test_the_daily_prune_drops_only_what_is_older_than_the_setting(settings):
    settings.QBO_HISTORY_DAYS = 30
    now = timezone.now()
    kept_run, old_run = factories.SyncRunFactory(), factories.SyncRunFactory()
    SyncRun.objects.filter(pk=kept_run.pk).update(started_at=now - timedelta(days=29))
    SyncRun.objects.filter(pk=old_run.pk).update(started_at=now - timedelta(days=31))
    kept = factories.PushAttemptFactory(started_at=now - timedelta(days=29))
    factories.PushAttemptFactory(started_at=now - timedelta(days=31))
    kept_event, old_event = (
        QboWebhookEvent.objects.create(event_id=name, realm_id="1") for name in ("new", "old")
    )
    QboWebhookEvent.objects.filter(pk=old_event.pk).update(received_at=now - timedelta(days=31))

    assert sync_history_prune_task() == {"runs": 1, "attempts": 1, "webhook_events": 1}
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [kept_run.pk]
    assert list(PushAttempt.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(QboWebhookEvent.objects.values_list("pk", flat=True)) == [kept_event.pk]
    schedule = Schedule.objects.get(name=HISTORY_PRUNE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == (
        "integrations.tasks.sync_history_prune_task",
        Schedule.DAILY,
    )
