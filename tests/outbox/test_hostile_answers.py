"""Answers no sane QBO sends (an absurd Retry-After, a NUL in a fault) never strand a job.

A job left *running* waits ten minutes for the sweeper, then fails the same way again, so
each of these must end the run as pending or failed, with a message the database can hold.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import SyncJob, SyncRun
from integrations.outbox.runner import BACKOFF_CAP_SECONDS, sync_job_run
from integrations.services.changes import changes_sync_run
from tests import factories

pytestmark = pytest.mark.django_db

THROTTLED = (
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE">'
    '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001</Message>'
    "</Error></Fault></IntuitResponse>"
)


def customer_job(capture) -> SyncJob:
    with capture(execute=False):
        factories.CustomerFactory(name="Green Leaf Collective")
    return SyncJob.objects.get()


@pytest.mark.parametrize(
    ("retry_after", "status"),
    [
        ("1e12", SyncJob.Status.PENDING),
        ("Fri, 31 Dec 9999 23:59:59 GMT", SyncJob.Status.PENDING),
        # Not a number of seconds: ignored, so the client backs off on its own and the push lands.
        ("inf", SyncJob.Status.SUCCEEDED),
        ("nan", SyncJob.Status.SUCCEEDED),
        ("1e999", SyncJob.Status.SUCCEEDED),
    ],
)
def test_no_retry_after_strands_a_job_or_parks_it_past_the_cap(
    qbo_proxy, django_capture_on_commit_callbacks, retry_after, status
):
    job = customer_job(django_capture_on_commit_callbacks)
    qbo_proxy.add(
        429, THROTTLED, headers={"Content-Type": "application/xml", "Retry-After": retry_after}
    )

    job = sync_job_run(job_id=job.pk)

    assert job.status == status
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=BACKOFF_CAP_SECONDS)


def test_a_sane_retry_after_is_honoured(qbo_proxy, django_capture_on_commit_callbacks):
    job = customer_job(django_capture_on_commit_callbacks)
    qbo_proxy.add(
        429, THROTTLED, headers={"Content-Type": "application/xml", "Retry-After": "1800"}
    )

    job = sync_job_run(job_id=job.pk)

    assert job.status == SyncJob.Status.PENDING
    assert job.next_attempt_at >= timezone.now() + timedelta(seconds=1790)


def test_a_nul_in_a_fault_is_dropped_and_the_job_fails_with_the_message(
    synced, django_capture_on_commit_callbacks
):
    synced.fail_next(
        status=400,
        code="6000",
        message="Business Validation Error\x00",
        detail="The name \x00Green\x00 Leaf is not allowed",
    )
    with django_capture_on_commit_callbacks(execute=True):
        factories.CustomerFactory(name="Green Leaf Collective")

    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.FAILED
    assert "The name Green Leaf is not allowed" in job.last_error
    assert "\x00" not in job.last_error + job.last_error_code


def test_a_nul_in_an_item_name_from_qbo_is_dropped_from_the_sync_log(synced):
    with synced.backend.lock:
        synced.company.objects["Item"]["9401"] = {
            "Id": "9401",
            "Name": "\x00\x00",
            "Type": "Service",
            "Active": True,
            "SyncToken": "0",
            "MetaData": {"LastUpdatedTime": synced.backend.time()},
        }

    run = changes_sync_run()

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    skipped = [note["text"] for note in run.details if note["event"] == "skipped"]
    assert skipped == ["A Item from QuickBooks was skipped: it has no Name."]
