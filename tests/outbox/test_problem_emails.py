"""Told without looking: pushes failing, or a reconnect needed, email the people who run the
integration once per problem, with a link to the status page, after the commit."""

import socket
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from integrations.models import QboAccount, QboConnection, SyncJob, SyncProblem
from integrations.outbox.jobs import sync_jobs_retry
from integrations.outbox.runner import sync_jobs_drain
from integrations.services.connection import connection_mark_expired
from integrations.services.problems import problem_recipients
from tests import factories
from tests.integrations.test_connect_flow import connect

pytestmark = pytest.mark.django_db

BASE_URL = "https://distru.example.com"
STATUS_PAGE = f"{BASE_URL}/settings/integrations/quickbooks/"


@pytest.fixture
def managers(django_user_model):
    """Who runs the integration: by permission, by group, as superuser; and who does not."""
    permission = Permission.objects.get(codename="manage_qbo_integration")
    direct = django_user_model.objects.create_user("ann", "ann@example.com", is_staff=True)
    direct.user_permissions.add(permission)
    group = Group.objects.create(name="Bookkeepers")
    group.permissions.add(permission)
    by_group = django_user_model.objects.create_user("bob", "bob@example.com", is_staff=True)
    by_group.groups.add(group)
    django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    gone = django_user_model.objects.create_user("cy", "cy@example.com", is_active=False)
    gone.groups.add(group)
    django_user_model.objects.create_user("dee", "", is_staff=True).groups.add(group)
    django_user_model.objects.create_user("eve", "eve@example.com", is_staff=True)
    return ["ann@example.com", "bob@example.com", "root@example.com"]


@pytest.fixture
def emails_to(settings, managers):
    settings.DISTRU_BASE_URL = BASE_URL
    return managers


@pytest.fixture
def unmapped_tax(synced):
    return factories.TaxFactory(rate=Decimal("15"))


def save_taxed_invoice(capture, tax, **fields):
    """An invoice charging `tax`, pushed (and refused while the tax has no account)."""
    with capture(execute=True):
        invoice = factories.InvoiceFactory(**fields)
        factories.InvoiceLineFactory(invoice=invoice)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
    return invoice


def test_the_people_told_are_the_active_users_with_the_permission_and_an_address(managers):
    assert problem_recipients() == managers


def test_pushes_failing_the_same_way_email_each_manager_once_with_a_link_to_the_status_page(
    emails_to, unmapped_tax, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = save_taxed_invoice(capture, unmapped_tax, number="INV-8001")
    save_taxed_invoice(capture, unmapped_tax, number="INV-8002")

    assert SyncJob.objects.filter(status=SyncJob.Status.FAILED).count() == 2
    assert sorted(address for email in mail.outbox for address in email.to) == emails_to
    email = mail.outbox[0]
    assert email.subject == "QuickBooks: pushes are failing"
    assert email.body.startswith("Open the QuickBooks page, do what it says")
    assert f"{STATUS_PAGE}#outbox" in email.body
    assert f"Invoice {first.number}:" in email.body
    assert "is not mapped to a QuickBooks account" in email.body

    with capture(execute=True):
        sync_jobs_retry()  # Retry all, nothing fixed: the same problem, no second email
    assert SyncJob.objects.filter(status=SyncJob.Status.FAILED).count() == 2
    assert len(mail.outbox) == len(emails_to)


def test_once_every_failed_push_went_through_the_next_failure_is_news_again(
    emails_to, unmapped_tax, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    save_taxed_invoice(capture, unmapped_tax)
    save_taxed_invoice(capture, unmapped_tax)
    unmapped_tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    unmapped_tax.save()
    with capture(execute=True):
        sync_jobs_retry(job_ids=[SyncJob.objects.filter(qbo_entity="Invoice").first().pk])
    assert SyncProblem.objects.count() == 1  # one of the two still fails: not over yet

    with capture(execute=True):
        sync_jobs_retry()
    assert not SyncJob.objects.filter(status=SyncJob.Status.FAILED).exists()
    assert not SyncProblem.objects.exists()
    assert len(mail.outbox) == len(emails_to)

    unmapped_tax.qbo_account = None
    unmapped_tax.save()
    save_taxed_invoice(capture, unmapped_tax)
    assert len(mail.outbox) == 2 * len(emails_to)


def test_a_different_fault_is_a_different_problem(
    emails_to, unmapped_tax, synced, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    save_taxed_invoice(capture, unmapped_tax)
    line = {"Amount": 50, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    synced.api("POST", "invoice", json={"CustomerRef": {"value": "1"}, "DocNumber": "INV-8101",
                                        "Line": [line]})  # fmt: skip
    with capture(execute=True):
        invoice = factories.InvoiceFactory(number="INV-8101")
        factories.InvoiceLineFactory(invoice=invoice)

    assert sorted(SyncProblem.objects.values_list("code", flat=True)) == ["", "6140"]
    duplicates = [email for email in mail.outbox if "6140" in email.subject]
    assert [email.subject for email in duplicates][:1] == [
        "QuickBooks: pushes are failing (QuickBooks code 6140)"
    ]
    assert len(duplicates) == len(emails_to)
    assert "Give this record a number no other QuickBooks transaction uses" in duplicates[0].body


def test_a_revoked_connection_emails_once_and_again_only_after_a_reconnect(
    emails_to, synced, admin_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    told = problem_recipients()  # the admin client's superuser too
    with capture(execute=False):
        factories.CustomerFactory.create_batch(3)
    synced.revoke_tokens()
    QboConnection.objects.update(access_token_expires_at=None)

    with capture(execute=True):
        call_command("qbo_push")
        connection_mark_expired()  # another worker finding the same dead sign-in
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED
    assert sorted(address for email in mail.outbox for address in email.to) == told
    email = mail.outbox[0]
    assert email.subject == "QuickBooks: reconnect to keep sending to QuickBooks"
    assert email.body.startswith("Reconnect to QuickBooks: it no longer accepts the saved sign-in")
    assert STATUS_PAGE in email.body

    with capture(execute=True):
        connect(admin_client)
    assert not SyncProblem.objects.exists()
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}

    synced.revoke_tokens()
    QboConnection.objects.update(access_token_expires_at=None)
    with capture(execute=True):
        factories.CustomerFactory()
    assert len(mail.outbox) == 2 * len(told)


def test_qbo_refusing_the_connection_emails_what_to_do_before_reconnecting(
    emails_to, synced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        factories.CustomerFactory.create_batch(2)
    synced.fail_next(entity="Customer", operation="create", fault="subscription_ended")

    with django_capture_on_commit_callbacks(execute=True):
        sync_jobs_drain()

    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PAUSED}
    assert len(mail.outbox) == len(emails_to)
    assert mail.outbox[0].body.startswith("Renew the QuickBooks subscription")


def test_nothing_is_sent_for_a_change_that_rolled_back(emails_to, synced):
    with pytest.raises(RuntimeError), transaction.atomic():
        connection_mark_expired()
        raise RuntimeError("the transaction that expired the connection failed")

    assert QboConnection.objects.get().status == QboConnection.Status.CONNECTED
    assert not SyncProblem.objects.exists()
    assert mail.outbox == []


def test_a_mail_server_that_refuses_never_holds_up_the_push(
    emails_to, unmapped_tax, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    save_taxed_invoice(django_capture_on_commit_callbacks, unmapped_tax)

    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.status == SyncJob.Status.FAILED
    assert "is not mapped to a QuickBooks account" in job.last_error
    assert SyncProblem.objects.count() == 1  # it stands; the refused email is not retried
