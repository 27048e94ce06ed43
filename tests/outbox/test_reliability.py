"""The outbox under trouble: expired tokens mid-backfill, revocation, the shell drain."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from integrations.models import QboConnection, SyncJob
from tests import factories

pytestmark = pytest.mark.django_db
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def queue_customers(capture, count):
    """Save records whose jobs are written but never enqueued (as after a crash)."""
    with capture(execute=False):
        return [factories.CustomerFactory() for _ in range(count)]


def test_a_token_expiring_mid_backfill_costs_one_refresh_and_the_backfill_goes_on(
    synced, django_capture_on_commit_callbacks
):
    queue_customers(django_capture_on_commit_callbacks, 6)
    synced.expire_tokens()
    call_command("qbo_push")
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert len(synced.api_requests(method="POST", path=TOKEN_PATH)) == 1


def test_a_revoked_connection_pauses_every_job_and_nothing_is_lost(
    synced, django_capture_on_commit_callbacks
):
    queue_customers(django_capture_on_commit_callbacks, 3)
    synced.revoke_tokens()
    QboConnection.objects.update(access_token_expires_at=None)
    call_command("qbo_push")
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PAUSED}
    assert SyncJob.objects.count() == 3


def test_qbo_push_retry_failed_sends_what_was_fixed(
    synced, django_capture_on_commit_callbacks, capsys
):
    from integrations.models import QboAccount

    tax = factories.TaxFactory(rate=Decimal("15"))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.FAILED
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    call_command("qbo_push", "--retry-failed")
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.SUCCEEDED
    assert "Retrying 1 failed job(s)." in capsys.readouterr().out
