"""The backfill on the QuickBooks page: a start date, the progress the page polls for while
documents are on their way, stop and resume; only for those holding the integration
permission."""

import re

import pytest
from django.urls import reverse

from integrations.models import Backfill, SyncJob
from tests.outbox.test_backfill import history  # noqa: F401 (fixture)
from tests.security.conftest import manager  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
PAGE = reverse("integrations:quickbooks")
CARD = reverse("integrations:backfill")


@pytest.fixture
def as_manager(client, manager):  # noqa: F811
    client.force_login(manager)
    return client


@pytest.fixture
def as_broad_staff(client, broad_staff):
    client.force_login(broad_staff)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_start_date_chosen_on_the_page_sends_the_documents_and_the_card_says_done(
    as_manager,
    history,  # noqa: F811
    push,
    synced,
):
    page = as_manager.get(PAGE).content.decode()
    assert 'id="id_since"' in page and 'value="Start backfill"' in page

    with push():
        answer = as_manager.post(CARD, {"start": "", "since": "2026-10-01"}, follow=True)

    assert answer.redirect_chain[-1][0] == f"{PAGE}#backfill"
    assert messages_of(answer) == [
        "Backfill started: 1 Customer, 1 Vendor, 2 Invoice, 1 Bill, 1 Payment, 1 BillPayment, "
        "1 CreditMemo on their way to QuickBooks."
    ]
    assert len(synced.query("SELECT * FROM Invoice WHERE TxnDate >= '2026-09-01'")["Invoice"]) == 2
    card = as_manager.get(PAGE).content.decode()
    assert 'id="backfill">' in card  # no data-poll: nothing left to wait for
    assert re.search(r'<progress max="8" value="8">', card)
    assert ">Done</span>" in card
    assert '<dd class="backfill-done">8 of 8</dd>' in card
    assert 'value="Start backfill"' in card  # another may start: it sends only what is new


def test_the_card_polls_while_documents_are_on_their_way_and_stop_and_resume_work(
    as_manager,
    history,  # noqa: F811
    push,
):
    as_manager.post(CARD, {"start": "", "since": "2026-10-01"})  # no worker runs them here

    card = as_manager.get(PAGE).content.decode()
    assert 'id="backfill" data-poll' in card
    assert '<dd class="backfill-left">8</dd>' in card
    assert "at QuickBooks' limits" in card  # nothing measured yet
    assert 'value="Stop backfill"' in card and 'value="Start backfill"' not in card

    stopped = as_manager.post(CARD, {"stop": ""}, follow=True)
    assert messages_of(stopped)[-1] == (
        "Backfill stopped: 8 document(s) held, none lost. Resume it to send them."
    )
    assert Backfill.objects.get().state == Backfill.State.STOPPED
    card = as_manager.get(PAGE).content.decode()
    assert "8 held until the backfill is resumed" in card and 'value="Resume backfill"' in card

    with push():
        as_manager.post(CARD, {"resume": ""})
    assert not SyncJob.objects.exclude(status=SyncJob.Status.SUCCEEDED).exists()
    assert ">Done</span>" in as_manager.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("since", "said"),
    [
        ("", "Choose the first day to send, then start the backfill."),
        ("2026-02-30", "Choose the first day as year, month and day, such as 2025-01-01."),
        ("2027-01-01", "Nothing to send: QuickBooks has, or is already being sent, every "
         "document dated on or after 2027-01-01."),
    ],
)  # fmt: skip
def test_a_start_date_that_selects_nothing_is_said_so_and_nothing_is_queued(
    as_manager,
    history,  # noqa: F811
    since,
    said,
):
    answer = as_manager.post(CARD, {"start": "", "since": since}, follow=True)

    assert messages_of(answer) == [said]
    assert not Backfill.objects.exists() and not SyncJob.objects.exists()


def test_staff_without_the_integration_permission_see_the_progress_but_cannot_start_or_stop(
    as_broad_staff,
    history,  # noqa: F811
    client,
):
    page = as_broad_staff.get(PAGE).content.decode()
    assert 'id="backfill"' in page and 'value="Start backfill"' not in page
    assert "Ask someone with the QuickBooks permission to start one." in page

    for action in ({"start": "", "since": "2026-10-01"}, {"stop": ""}, {"resume": ""}):
        assert as_broad_staff.post(CARD, action).status_code == 403
    assert not Backfill.objects.exists() and not SyncJob.objects.exists()


def test_signed_out_visitors_are_sent_to_the_login_page(client, history):  # noqa: F811
    assert client.get(CARD).status_code == 302
    assert client.post(CARD, {"start": "", "since": "2026-10-01"}).status_code == 302
    assert not Backfill.objects.exists()
