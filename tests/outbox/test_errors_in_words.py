"""A QBO error shown to the user leads with what to do, then QBO's own words, with the code
and intuit_tid below for support: on the record's QuickBooks section, on the status page, and
in the reconnect banner."""

import html
import re

import pytest
from django.urls import reverse

from integrations.models import QboConnection, SyncJob
from integrations.outbox.errors import error_parts
from tests import factories

pytestmark = pytest.mark.django_db

LINE = {"Amount": 5, "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip


def shown_error(page: str) -> list[str]:
    """The first error block's lines, as text: action, QBO's words, reference."""
    block = re.search(r'<div class="qbo-error">(.*?)</div></div>', page, re.DOTALL).group(1)
    return [html.unescape(re.sub(r"<[^>]+>", "", line)).strip() for line in block.split("\n")]


@pytest.fixture
def refused_invoice(synced, push):
    """An invoice QBO refused with a 6140: another QuickBooks invoice holds its number."""
    customer = factories.CustomerFactory()
    with push():
        customer.save()
    customer.refresh_from_db()
    synced.api("POST", "invoice", json={"CustomerRef": {"value": customer.qbo_id},
                                        "DocNumber": "INV-600", "Line": [LINE]})  # fmt: skip
    with push():
        invoice = factories.InvoiceFactory(customer=customer, number="INV-600")
        factories.InvoiceLineFactory(invoice=invoice)
    return invoice


def test_a_refusal_reads_action_then_qbos_words_then_code_and_intuit_tid(
    admin_client, refused_invoice, synced
):
    job = SyncJob.objects.get(qbo_entity="Invoice")
    tid = synced.api_requests(operation="create")[-1]["intuit_tid"]
    record_page = admin_client.get(
        reverse("admin:sales_invoice_change", args=[refused_invoice.pk])
    ).content.decode()
    status_page = admin_client.get(reverse("integrations:quickbooks")).content.decode()

    for page in (record_page, status_page):
        action, said, reference = shown_error(page)
        assert action.startswith("Give this record a number no other QuickBooks transaction")
        assert action.endswith("then press Retry: QuickBooks refuses a number twice.")
        assert said.startswith("QuickBooks said: “Duplicate Document Number Error")
        assert "DocNumber=INV-600 is assigned to TxnType=Invoice" in said
        assert "code 6140" not in said and "intuit_tid" not in said
        assert reference == f"code 6140 · HTTP 400 · intuit_tid {tid}"
    assert job.last_error.startswith(action)  # what is stored is unchanged: only its layout


def test_the_reconnect_banner_leads_with_what_to_do(admin_client):
    reason = (
        "Reconnect to QuickBooks signed in as an admin user of the company: QuickBooks refused "
        "this app access to it. Pushes wait until then. QuickBooks said: AuthorizationFailed "
        "(code 3100, HTTP 403, intuit_tid 1-abc)"
    )
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED, status_reason=reason)
    action, said, reference = shown_error(admin_client.get(reverse("admin:index")).content.decode())
    assert action.startswith("Reconnect to QuickBooks signed in as an admin user")
    assert said == "QuickBooks said: “AuthorizationFailed”"
    assert reference == "code 3100 · HTTP 403 · intuit_tid 1-abc"


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        ("Press Retry.", ("Press Retry.", "", "")),
        (
            "Nothing to do here; it is retried automatically: QuickBooks is busy or "
            "unreachable. QuickBooks said: Read timed out (HTTP 504)",
            (
                "Nothing to do here; it is retried automatically: QuickBooks is busy or "
                "unreachable.",
                "Read timed out",
                "HTTP 504",
            ),
        ),
        (
            "Fix the record as QuickBooks says, then press Retry. QuickBooks said: A (b) c",
            ("Fix the record as QuickBooks says, then press Retry.", "A (b) c", ""),
        ),
    ],
)
def test_messages_without_qbos_words_or_facts_keep_every_word(message, parts):
    assert tuple(vars(error_parts(message)).values()) == parts
