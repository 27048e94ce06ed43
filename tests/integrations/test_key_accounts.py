"""Choosing the four key accounts: only the right AccountType is offered, and accepted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django_q.models import Task

from integrations.models import QboAccount, QboConnection, SyncRun
from integrations.qbo.errors import QboValidationError
from integrations.tasks import company_mirror_refresh_task
from tests.factories import QboAccountFactory, QboConnectionFactory

pytestmark = pytest.mark.django_db
URL = "integrations:key_accounts"


@pytest.fixture
def chart():
    QboConnectionFactory()
    return {
        "income": QboAccountFactory(name="Sales of Product Income", account_type="Income"),
        "cogs": QboAccountFactory(name="Cost of Goods Sold", account_type="Cost of Goods Sold"),
        "checking": QboAccountFactory(name="Checking", account_type="Bank"),
        "savings": QboAccountFactory(name="Savings", account_type="Bank"),
        "old_bank": QboAccountFactory(name="Old Bank", account_type="Bank", active=False),
        "excise": QboAccountFactory(
            name="Excise Tax Payable", account_type="Other Current Liability"
        ),
    }


def _post(client, **choices):
    data = {field: account.pk for field, account in choices.items()}
    return client.post(reverse(URL), data)


def test_each_select_offers_only_active_accounts_of_its_type(admin_client, chart):
    form = admin_client.get(reverse(URL)).context["form"]
    offered = {
        name: {str(pk) for pk, _ in field.choices if pk} for name, field in form.fields.items()
    }
    assert offered["default_income_account"] == {str(chart["income"].pk)}
    assert offered["default_expense_account"] == {str(chart["cogs"].pk)}
    bank = {str(chart["checking"].pk), str(chart["savings"].pk)}
    assert offered["sales_deposit_account"] == bank == offered["purchase_deposit_account"]


def test_valid_choices_are_saved(admin_client, chart):
    response = _post(
        admin_client,
        default_income_account=chart["income"],
        default_expense_account=chart["cogs"],
        sales_deposit_account=chart["checking"],
        purchase_deposit_account=chart["savings"],
    )
    assert response.status_code == 302
    connection = QboConnection.objects.get()
    assert connection.default_income_account == chart["income"]
    assert connection.purchase_deposit_account == chart["savings"]


def test_a_wrong_account_type_is_refused_naming_the_account_and_the_type(admin_client, chart):
    response = _post(admin_client, default_income_account=chart["checking"])
    assert response.status_code == 200
    errors = response.context["form"].errors["default_income_account"]
    assert errors == ["“Checking” is a Bank account; Default Income needs an Income account."]
    assert QboConnection.objects.get().default_income_account is None


def test_an_inactive_account_is_refused(admin_client, chart):
    response = _post(admin_client, sales_deposit_account=chart["old_bank"])
    assert (
        "“Old Bank” is inactive in QuickBooks"
        in response.context["form"].errors["sales_deposit_account"][0]
    )


def test_an_account_that_no_longer_exists_is_refused(admin_client, chart):
    gone_pk = chart["savings"].pk
    chart["savings"].delete()
    response = admin_client.post(reverse(URL), {"purchase_deposit_account": gone_pk})
    assert (
        "no longer exists in QuickBooks"
        in response.context["form"].errors["purchase_deposit_account"][0]
    )


def test_a_missing_account_type_shows_a_hint_to_create_one(admin_client, chart):
    QboAccount.objects.filter(account_type="Cost of Goods Sold").delete()
    page = admin_client.get(reverse(URL)).content.decode()
    assert "QuickBooks has no active <strong>Cost of Goods Sold</strong> account" in page


def test_a_mapped_account_retyped_or_inactivated_in_qbo_shows_as_a_conflict(admin_client, chart):
    connection = QboConnection.objects.get()
    connection.sales_deposit_account = chart["checking"]
    connection.default_income_account = chart["income"]
    connection.save()
    QboAccount.objects.filter(pk=chart["checking"].pk).update(active=False)
    QboAccount.objects.filter(pk=chart["income"].pk).update(account_type="Other Income")
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "Account mapping conflict: “Checking” is inactive in QuickBooks" in page
    assert "“Sales of Product Income” is an Other Income account" in page


def test_refresh_accounts_runs_in_the_worker_and_the_page_shows_its_outcome(
    admin_client, qbo_connected, qbo_sandbox, django_capture_on_commit_callbacks
):
    qbo_sandbox.api("POST", "account", json={"Name": "Vault Cash", "AccountType": "Bank"})

    with django_capture_on_commit_callbacks(execute=True):
        queued = admin_client.post(reverse(URL), {"refresh": "1"})
    response = admin_client.get(queued["Location"])

    task = Task.objects.get(name="qbo-accounts-refresh")  # django-q runs synchronously in tests
    assert task.func == "integrations.tasks.company_mirror_refresh_task" and task.success
    run = SyncRun.objects.get(pk=task.result)
    assert (run.kind, run.status) == (SyncRun.Kind.ACCOUNTS, SyncRun.Status.SUCCEEDED)
    assert QboAccount.objects.filter(name="Vault Cash").exists()
    page = response.content.decode()
    assert "this page shows how it goes" in page
    assert "Accounts refresh finished" in page and f"{run.processed} processed" in page


def test_from_the_click_on_the_page_shows_the_refresh_in_progress_and_reloads(admin_client, chart):
    admin_client.post(reverse(URL), {"refresh": "1"})  # queued: the worker has not begun

    page = admin_client.get(reverse(URL)).content.decode()

    assert "Accounts refresh in progress:</strong> 0 processed so far" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    SyncRun.objects.update(processed=42)
    assert "42 processed so far" in admin_client.get(reverse(URL)).content.decode()


def test_a_run_left_running_by_a_dead_worker_stops_the_reloading(admin_client, chart):
    run = SyncRun.objects.create(kind=SyncRun.Kind.CONNECT)
    SyncRun.objects.filter(pk=run.pk).update(started_at=run.started_at - timedelta(hours=1))

    page = admin_client.get(reverse(URL)).content.decode()

    assert "Connect (accounts and classes) in progress" in page
    assert 'http-equiv="refresh"' not in page


def test_a_failed_refresh_says_why_on_the_page(admin_client, qbo_connected, qbo_sandbox):
    qbo_sandbox.fail_next(path="/query", status=400, detail="Account list unavailable")
    with pytest.raises(QboValidationError):
        company_mirror_refresh_task()  # as the worker runs it

    page = admin_client.get(reverse(URL)).content.decode()

    assert SyncRun.objects.get().status == SyncRun.Status.FAILED
    assert "Accounts refresh failed" in page and "Account list unavailable" in page


def test_refresh_while_not_connected_asks_to_reconnect_and_queues_nothing(admin_client, chart):
    QboConnection.objects.update(status=QboConnection.Status.EXPIRED)

    page = admin_client.post(reverse(URL), {"refresh": "1"}, follow=True).content.decode()

    assert "Reconnect to QuickBooks first, then refresh the accounts." in page
    assert not Task.objects.exists() and not SyncRun.objects.exists()


def test_while_the_chart_comes_in_no_account_type_is_said_to_be_missing(admin_client, chart):
    """Right after connecting the accounts are still arriving: the page says they are coming,
    not that QuickBooks lacks them (which only the finished import can tell)."""
    QboAccount.objects.all().delete()
    SyncRun.objects.create(kind=SyncRun.Kind.CONNECT)

    page = admin_client.get(reverse(URL)).content.decode()

    assert "The choices fill in as the accounts arrive from QuickBooks" in page
    assert "QuickBooks has no active" not in page
    SyncRun.objects.update(status=SyncRun.Status.SUCCEEDED)
    assert "QuickBooks has no active" in admin_client.get(reverse(URL)).content.decode()


def test_saving_with_nothing_chosen_says_nothing_was_saved(admin_client, chart):
    QboConnection.objects.update(default_income_account=chart["income"])
    response = _post(admin_client)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Choose at least one account, then save: nothing was chosen, so nothing was saved."
    ]
    assert "saved." not in [str(message) for message in response.context["messages"]]
    assert QboConnection.objects.get().default_income_account == chart["income"]


def test_saving_the_same_accounts_again_says_nothing_changed_and_queues_nothing(
    admin_client, chart, django_capture_on_commit_callbacks
):
    QboConnection.objects.update(default_income_account=chart["income"])
    with django_capture_on_commit_callbacks() as queued:
        response = _post(admin_client, default_income_account=chart["income"])
    assert queued == []
    follow = admin_client.get(response.url)
    assert [str(m) for m in follow.context["messages"]] == [
        "Nothing changed: the key accounts are as they were."
    ]

    with django_capture_on_commit_callbacks() as queued:
        response = _post(
            admin_client,
            default_income_account=chart["income"],
            sales_deposit_account=chart["checking"],
        )
    assert len(queued) == 1  # the default items move onto the accounts
    follow = admin_client.get(response.url)
    assert [str(m) for m in follow.context["messages"]] == [
        "Key accounts saved. Changed: Sales Deposit."
    ]
