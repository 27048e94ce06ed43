"""Tokens, the client secret and the authorization code never reach a log line, a message, a
page or the sync log: a whole connect, item sync, token refresh, push and disconnect against the
sandbox is run with every logger at DEBUG, and everything it left behind is searched."""

import base64
import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection as db
from django.urls import reverse
from django_q.models import Task

from integrations.models import QboAccount, QboConnection, SyncJob, SyncRun
from integrations.services.connection import QboNotConnectedError, qbo_client
from tests import factories
from tests.integrations.oauth_helpers import callback_path_and_query, consent

pytestmark = pytest.mark.django_db

# The sandbox plays Intuit in this process; what Intuit logs is not ours to keep secret.
NOT_OURS = ("integrations.sandbox",)


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        if not record.name.startswith(NOT_OURS):
            self.lines.append(self.format(record))


@pytest.fixture
def every_log_line():
    """Every logger at DEBUG, every record (with its traceback) kept as formatted text."""
    handler = _Everything()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is loggers[0] or not logger.propagate:
            # First, so it sees each record before any redacting filter rewrites it.
            logger.handlers.insert(0, handler)
    for name in ("requests", "urllib3", "oauthlib", "requests_oauthlib", "integrations.qbo"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.disable(logging.NOTSET)
    # SQL with its parameters, as DEBUG=True logs it: tokens go to the database encrypted.
    db.force_debug_cursor = True
    try:
        yield handler.lines
    finally:
        db.force_debug_cursor = False
        for logger, level in saved:
            logger.setLevel(level)
            logger.removeHandler(handler)


@pytest.fixture
def issued(qbo_sandbox, monkeypatch):
    """Every authorization code and token the sandbox hands out during the test."""
    secrets_issued: list[str] = []
    oauth = qbo_sandbox.backend.oauth
    issue_code, answer = oauth.issue_code, oauth._answer

    def recording_issue_code(*args, **kwargs):
        code = issue_code(*args, **kwargs)
        secrets_issued.append(code)
        return code

    def recording_answer(*args, **kwargs):  # every token answer, a refresh token kept included
        tokens = answer(*args, **kwargs)
        secrets_issued.extend([tokens["access_token"], tokens["refresh_token"]])
        return tokens

    monkeypatch.setattr(oauth, "issue_code", recording_issue_code)
    monkeypatch.setattr(oauth, "_answer", recording_answer)
    return secrets_issued


def _secrets(issued: list[str]) -> dict[str, str]:
    basic = base64.b64encode(f"{settings.QBO_CLIENT_ID}:{settings.QBO_CLIENT_SECRET}".encode())
    found = {"client secret": settings.QBO_CLIENT_SECRET, "basic auth": basic.decode()}
    for n, value in enumerate(issued):
        found[f"issued #{n}"] = value
        # A logged fragment is a leak too: a prefix long enough to be the token's own.
        found[f"issued #{n} (start)"] = value[:24] if not value.startswith("eyJ") else value[19:43]
    return found


def _leaks(secrets: dict[str, str], where: str, texts) -> list[str]:
    return [
        f"{label} in {where}: …{text[max(text.find(value) - 60, 0) : text.find(value) + 20]}…"
        for text in texts
        for label, value in secrets.items()
        if value and value in text
    ]


def _pages(client, invoice) -> list[str]:
    urls = [
        reverse("integrations:panel"),
        reverse("integrations:quickbooks"),
        reverse("integrations:key_accounts"),
        reverse("admin:integrations_qboconnection_changelist"),
        reverse("admin:integrations_qboconnection_change", args=[QboConnection.SINGLETON_ID]),
        reverse("admin:sales_invoice_change", args=[invoice.pk]),
        reverse("admin:sales_invoice_changelist"),
        reverse("admin:django_q_success_changelist"),
        reverse("admin:django_q_failure_changelist"),
        *(reverse("admin:django_q_success_change", args=[t.pk]) for t in Task.objects.all()),
    ]
    return [client.get(url, follow=True).content.decode() for url in urls]


def test_no_secret_reaches_a_log_a_message_a_page_or_the_sync_log(
    admin_client, qbo_sandbox, issued, every_log_line, django_capture_on_commit_callbacks
):
    responses = []

    def keep(response):
        responses.append(response.content.decode())
        return response

    # Connect through the pages, as a person does; the items are imported (synchronously).
    authorize = admin_client.post(reverse("integrations:connect"))["Location"]
    path, query = callback_path_and_query(consent(authorize))
    with django_capture_on_commit_callbacks(execute=True):
        keep(admin_client.get(path, query, follow=True))
    accounts = QboAccount.objects.filter(active=True)
    with django_capture_on_commit_callbacks(execute=True):
        keep(
            admin_client.post(
                reverse("integrations:key_accounts"),
                {
                    "default_income_account": accounts.get(name="Sales of Product Income").pk,
                    "default_expense_account": accounts.get(name="Cost of Goods Sold").pk,
                    "sales_deposit_account": accounts.get(name="Checking").pk,
                    "purchase_deposit_account": accounts.get(name="Checking").pk,
                },
                follow=True,
            )
        )
    assert QboConnection.objects.get().status == QboConnection.Status.CONNECTED

    # QuickBooks drops the access token: the next call gets a 401 and refreshes.
    qbo_sandbox.expire_tokens()
    keep(admin_client.post(reverse("integrations:sync"), follow=True))

    # A document push, with a tax, and one that fails with a QBO fault first.
    tax = factories.TaxFactory(rate=Decimal("15"))
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    qbo_sandbox.fail_next(entity="Invoice", status=500, times=1)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice, quantity=Decimal(2), unit_price=Decimal(9))
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    assert invoice.qbo_id

    # Revoked at Intuit: the refresh is refused, the connection expires, the page says so.
    qbo_sandbox.revoke_tokens()
    qbo_sandbox.expire_tokens()
    with pytest.raises(QboNotConnectedError) as refused:
        qbo_client().company_info()
    responses.append(str(refused.value))
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED

    pages = _pages(admin_client, invoice)

    # Reconnect and disconnect (which revokes at Intuit).
    authorize = admin_client.post(reverse("integrations:connect"))["Location"]
    path, query = callback_path_and_query(consent(authorize))
    with django_capture_on_commit_callbacks(execute=True):
        keep(admin_client.get(path, query, follow=True))
    keep(admin_client.post(reverse("integrations:disconnect"), follow=True))

    secrets = _secrets(issued)
    assert len(issued) >= 7  # two codes, and the tokens of two connects and a refresh
    assert every_log_line, "the log capture caught nothing"
    assert any("qbo oauth refresh" in line for line in every_log_line)
    assert any(line.startswith("urllib3") for line in every_log_line)
    assert any(line.startswith("django.db.backends") for line in every_log_line)
    sync_log = [
        str(value)
        for model, fields in (
            (SyncRun, ["message", "details"]),
            (SyncJob, ["last_error", "warning", "label", "remote_change"]),
        )
        for row in model.objects.values_list(*fields)
        for value in row
    ]
    tasks = [f"{t.func} {t.args} {t.kwargs} {t.result}" for t in Task.objects.all()]
    leaks = (
        _leaks(secrets, "a log line", every_log_line)
        + _leaks(secrets, "a response", responses)
        + _leaks(secrets, "an admin page", pages + _pages(admin_client, invoice))
        + _leaks(secrets, "the sync log", sync_log)
        + _leaks(secrets, "the task queue", tasks)
    )
    assert leaks == []


def test_the_token_in_intuits_401_never_reaches_the_job_or_the_admin(
    admin_client,
    qbo_connected,
    qbo_sandbox,
    issued,
    every_log_line,
    django_capture_on_commit_callbacks,
):
    """The bypass the attack pass found: QBO's 401 detail carries the first 50 characters of
    the refused token ("Token expired: eyJ…"), which slipped past a redaction that only knew
    40-character words and three-part JWTs. Here every call's token expires as it arrives, so
    the refreshed token is refused too and the 401 becomes the job's last error."""
    qbo_sandbox.control("faults", rate=1.0, kinds=["token_expiry"])
    with django_capture_on_commit_callbacks(execute=True):
        customer = factories.CustomerFactory()

    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.PENDING and "Token expired" in job.last_error
    page = admin_client.get(reverse("admin:sales_customer_change", args=[customer.pk]))
    secrets = {
        f"{label} (any 12 characters)": value[start : start + 12]
        for label, value in _secrets(issued).items()
        for start in range(0, max(len(value) - 11, 1))
    }
    leaks = (
        _leaks(secrets, "the job", [job.last_error])
        + _leaks(secrets, "the admin", [page.content.decode()])
        + _leaks(secrets, "a log line", every_log_line)
    )
    assert leaks == []
