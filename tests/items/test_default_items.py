"""*Distru Sales* and *Distru Purchases*: linked, created or reactivated, on the key accounts."""

import pytest
from django.urls import reverse

from integrations.models import QboAccount, QboConnection, QboItem
from integrations.services.changes import changes_sync_run
from integrations.services.connection import qbo_client
from integrations.services.default_items import default_items_ensure
from tests.factories import QboItemFactory
from tests.items.conftest import api_calls, mirrored, qbo_item, qbo_item_update

pytestmark = pytest.mark.django_db


def _account_id(name: str) -> str:
    return QboAccount.objects.get(name=name).qbo_id


def _create_in_qbo(sandbox, **body) -> dict:
    response = sandbox.api("POST", "item", json=body)
    response.raise_for_status()
    return response.json()["Item"]


def test_missing_defaults_are_created_in_qbo_on_the_key_accounts(chart):
    changes_sync_run(full=True)

    sales, purchases = qbo_item(chart, "Distru Sales"), qbo_item(chart, "Distru Purchases")
    assert sales["IncomeAccountRef"]["value"] == _account_id("Sales of Product Income")
    assert purchases["ExpenseAccountRef"]["value"] == _account_id("Cost of Goods Sold")
    assert sales["Active"] and purchases["Active"]
    creates = chart.api_requests(method="POST", entity="Item")
    assert len(creates) == 2 and all(create["requestid"] for create in creates)
    assert mirrored("Distru Sales").qbo_id == sales["Id"]
    assert mirrored("Distru Sales").income_account.name == "Sales of Product Income"
    assert mirrored("Distru Purchases").expense_account.name == "Cost of Goods Sold"


def test_defaults_already_in_qbo_are_linked_by_name_not_duplicated(chart):
    existing = _create_in_qbo(
        chart,
        Name="Distru Sales",
        Type="Service",
        IncomeAccountRef={"value": _account_id("Sales of Product Income")},
    )
    chart.control("requests/clear")

    changes_sync_run(full=True)

    creates = chart.api_requests(method="POST", entity="Item")
    assert len(creates) == 1  # only Distru Purchases was missing
    assert mirrored("Distru Sales").qbo_id == existing["Id"]


def test_a_default_on_another_account_is_moved_to_the_key_account(chart):
    _create_in_qbo(
        chart,
        Name="Distru Sales",
        Type="NonInventory",
        IncomeAccountRef={"value": _account_id("Services")},
    )

    changes_sync_run(full=True)

    sales = qbo_item(chart, "Distru Sales")
    assert sales["IncomeAccountRef"]["value"] == _account_id("Sales of Product Income")
    assert mirrored("Distru Sales").income_account.name == "Sales of Product Income"


def test_an_inactive_default_is_reactivated_not_created_again(synced):
    qbo_item_update(synced, "Distru Purchases", Active=False)
    synced.control("requests/clear")

    run = changes_sync_run()  # the sync removes it here, then puts it back in QBO

    purchases = qbo_item(synced, "Distru Purchases")
    assert purchases["Active"] and purchases["Name"] == "Distru Purchases"
    assert not synced.api_requests(method="POST", entity="Item", requestid=None)
    assert len(synced.api_requests(method="POST", entity="Item")) == 1
    assert mirrored("Distru Purchases").qbo_id == purchases["Id"]
    assert "“Distru Purchases” was reactivated on Cost of Goods Sold." in [
        note["text"] for note in run.details
    ]


def test_defaults_in_place_cost_no_api_call(synced):
    assert not [n for n in default_items_ensure(client=qbo_client()) if n["problem"]]
    assert api_calls(synced) == []


def test_without_key_accounts_nothing_is_sent_and_the_log_says_why(qbo_connected, qbo_sandbox):
    notes = default_items_ensure(client=qbo_client())

    assert [note["problem"] for note in notes] == [True, True]
    assert "choose it under Key accounts" in notes[0]["text"]
    assert api_calls(qbo_sandbox) == []


def test_a_qbo_category_with_the_default_name_is_reported_not_fatal(chart):
    _create_in_qbo(chart, Name="Distru Sales", Type="Category")

    run = changes_sync_run(full=True)

    problems = [note["text"] for note in run.details if note.get("problem")]
    assert problems == [
        "“Distru Sales” could not be set up: QuickBooks has a Category item with that name; "
        "rename it in QuickBooks"
    ]
    assert mirrored("Distru Purchases") is not None


def test_an_unpushed_default_made_here_is_linked_to_the_one_created(chart):
    mine = QboItemFactory(name="Distru Sales", qbo_id="", origin=QboItem.Origin.LOCAL)

    changes_sync_run(full=True)

    mine.refresh_from_db()
    assert mine.qbo_id == qbo_item(chart, "Distru Sales")["Id"]
    assert QboItem.objects.filter(name__iexact="Distru Sales").count() == 1


def test_saving_the_key_accounts_moves_the_defaults(
    admin_client, synced, django_capture_on_commit_callbacks
):
    connection = QboConnection.objects.get()
    data = {
        "default_income_account": QboAccount.objects.get(name="Services").pk,
        "default_expense_account": QboAccount.objects.get(name="Packaging").pk,
        "sales_deposit_account": connection.sales_deposit_account_id,
        "purchase_deposit_account": connection.purchase_deposit_account_id,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:key_accounts"), data)

    assert response.status_code == 302
    sales, purchases = qbo_item(synced, "Distru Sales"), qbo_item(synced, "Distru Purchases")
    assert sales["IncomeAccountRef"]["value"] == _account_id("Services")
    assert purchases["ExpenseAccountRef"]["value"] == _account_id("Packaging")
    assert mirrored("Distru Purchases").expense_account.name == "Packaging"


def test_a_default_in_qbo_but_not_yet_imported_is_linked(chart):
    existing = _create_in_qbo(
        chart,
        Name="Distru Purchases",
        Type="NonInventory",
        ExpenseAccountRef={"value": _account_id("Cost of Goods Sold")},
    )

    notes = default_items_ensure(client=qbo_client())

    assert "“Distru Purchases” was linked." in [note["text"] for note in notes]
    assert mirrored("Distru Purchases").qbo_id == existing["Id"]


def test_each_default_item_is_made_with_both_key_accounts(chart):
    """A bill line needs the item's expense account, an invoice line its income account."""
    changes_sync_run(full=True)

    income, cogs = _account_id("Sales of Product Income"), _account_id("Cost of Goods Sold")
    for name in ("Distru Sales", "Distru Purchases"):
        made = qbo_item(chart, name)
        assert made["IncomeAccountRef"]["value"] == income
        assert made["ExpenseAccountRef"]["value"] == cogs
        assert mirrored(name).income_account.qbo_id == income
        assert mirrored(name).expense_account.qbo_id == cogs
