"""A push whose answer comes back broken (cut off, an HTML page, empty) is retried, with its
requestid, until QBO's real answer arrives: the record is intact and QBO holds it once.

The sandbox's fail-next can answer with a fault status, a delay or a dropped connection, but
not with a broken 200 body, so a proxy in front of it (tests/qbo/stub_server.py) breaks the
answer after the sandbox has done the write.
"""

import json

import pytest
from django.utils import timezone

from integrations.models import SyncJob
from integrations.outbox.runner import sync_job_run
from integrations.qbo.client import select
from sales.models import Customer
from tests import factories

from .strategies import HTML_PAGES

pytestmark = pytest.mark.django_db
NAME = "O'Brien & Sons \\ 100% Kush"


def customer_create(received) -> bool:
    return received.method == "POST" and received.path.endswith("/customer")


BROKEN = {
    "cut off": lambda status, headers, body: (status, headers, body[: len(body) // 2]),
    "cut after one byte": lambda status, headers, body: (status, headers, body[:1]),
    "a gateway's HTML page": lambda status, headers, body: (
        200,
        {"Content-Type": "text/html"},
        HTML_PAGES[0],
    ),
    "empty": lambda status, headers, body: (status, headers, b""),
    "a JSON list": lambda status, headers, body: (status, headers, b"[]"),
    "JSON without the object": lambda status, headers, body: (status, headers, b'{"time": 1}'),
    "binary noise": lambda status, headers, body: (200, {}, b"\x1f\x8b\x08\x00\xff\xfe"),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_a_push_answered_with_a_broken_body_is_retried_and_lands_once(
    qbo_proxy, qbo_sandbox, django_capture_on_commit_callbacks, broken
):
    with django_capture_on_commit_callbacks(execute=False):
        customer = factories.CustomerFactory(name=NAME)
    job = SyncJob.objects.get()
    qbo_proxy.mangle_next(BROKEN[broken], when=customer_create)

    job = sync_job_run(job_id=job.pk)

    assert job.status == SyncJob.Status.PENDING  # retried automatically, later
    assert job.next_attempt_at > timezone.now()
    assert "Expected a" in job.last_error and "QuickBooks" in job.last_error
    assert len(job.last_error) < 1500
    assert Customer.objects.filter(pk=customer.pk, name=NAME, qbo_id="").exists()

    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    job = sync_job_run(job_id=job.pk)

    assert job.status == SyncJob.Status.SUCCEEDED
    customer.refresh_from_db()
    in_qbo = qbo_sandbox.query(select("Customer", {"DisplayName": NAME})).get("Customer", [])
    assert [row["Id"] for row in in_qbo] == [customer.qbo_id]
    creates = [r for r in qbo_proxy.received if customer_create(r)]
    assert len(creates) == 2 and len({r.query["requestid"] for r in creates}) == 1


def test_a_fault_with_an_overlong_code_is_recorded_within_the_job_columns(
    qbo_proxy, django_capture_on_commit_callbacks
):
    """On PostgreSQL a code past last_error_code's 20 characters would fail the job's update."""
    fault = {
        "Fault": {"Error": [{"Message": "Odd gateway", "code": "E" * 500, "Detail": "d" * 9000}]}
    }
    with django_capture_on_commit_callbacks(execute=False):
        customer = factories.CustomerFactory(name=NAME)
    qbo_proxy.mangle_next(
        lambda status, headers, body: (400, headers, json.dumps(fault).encode()),
        when=customer_create,
    )

    job = sync_job_run(job_id=SyncJob.objects.get().pk)

    assert job.status == SyncJob.Status.FAILED
    assert len(job.last_error_code) <= 20 and "Odd gateway" in job.last_error
    assert len(job.last_error) < 2000
    assert Customer.objects.filter(pk=customer.pk, name=NAME, qbo_id="").exists()
