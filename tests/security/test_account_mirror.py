"""Where money posts is decided by QBO ids: no admin edits one, and the account mirror changes
only from QuickBooks, never losing a mapped account."""

import pytest
from django.contrib import admin
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse

from integrations.models import QboAccount, QboConnection
from integrations.qbo.client import select
from integrations.services.changes import changes_sync_run
from integrations.services.key_accounts import key_account_conflicts
from integrations.services.mirror import company_mirror_refresh
from sales.models import Tax
from tests import factories

pytestmark = pytest.mark.django_db

QBO_IDENTITY = {"qbo_id", "sync_token"}


def editable_fields(model_admin, request, obj) -> set[str]:
    """The form fields the add (obj None) or change page of `obj` lets `request.user` post."""
    allowed = (
        model_admin.has_add_permission(request)
        if obj is None
        else model_admin.has_change_permission(request, obj)
    )
    if not allowed:
        return set()
    fields = set(model_admin.get_form(request, obj, change=obj is not None).base_fields)
    for inline in model_admin.get_inline_instances(request, obj):
        if inline.has_add_permission(request, obj) or inline.has_change_permission(request, obj):
            fields |= set(inline.get_formset(request, obj).form.base_fields)
    return fields | set(model_admin.list_editable)


@pytest.mark.parametrize("who", ["admin_user", "broad_staff"])
def test_no_admin_page_lets_anyone_edit_a_qbo_id_or_sync_token(request, who, admin_objects):
    web_request = RequestFactory().get("/admin/")
    web_request.user = request.getfixturevalue(who)
    assert set(admin.site._registry) == set(admin_objects), "add the new model to admin_objects"
    editable = {
        f"{model._meta.label}{' (add)' if obj is None else ''}: {field}"
        for model, model_admin in admin.site._registry.items()
        for obj in (None, admin_objects[model])
        for field in editable_fields(model_admin, web_request, obj) & QBO_IDENTITY
    }
    assert editable == set()


@pytest.fixture
def two_banks():
    return (
        factories.QboAccountFactory(qbo_id="35", name="Checking", account_type="Bank"),
        factories.QboAccountFactory(qbo_id="36", name="Savings", account_type="Bank"),
    )


def test_nobody_swaps_two_accounts_qbo_ids_in_the_admin_not_even_a_superuser(
    admin_client, two_banks
):
    """The attack as found: swapping qbo_ids sent the next payment to another bank account."""
    checking, savings = two_banks
    factories.QboConnectionFactory(sales_deposit_account=checking)
    for account, other in ((checking, savings), (savings, checking)):
        change = reverse("admin:integrations_qboaccount_change", args=[account.pk])
        form = {"name": account.name, "account_type": "Bank", "qbo_id": other.qbo_id}
        assert admin_client.post(change, form).status_code == 403
    assert admin_client.post(reverse("admin:integrations_qboaccount_add"), form).status_code == 403
    delete = reverse("admin:integrations_qboaccount_delete", args=[checking.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403

    assert dict(QboAccount.objects.values_list("name", "qbo_id")) == {
        "Checking": "35",
        "Savings": "36",
    }
    assert QboConnection.objects.get().sales_deposit_account == checking


def test_a_mapped_key_or_tax_account_cannot_be_deleted_by_any_path(two_banks):
    checking, _ = two_banks
    liability = factories.QboAccountFactory(account_type="Other Current Liability")
    factories.QboConnectionFactory(sales_deposit_account=checking)
    tax = factories.TaxFactory(qbo_account=liability)

    for account in (checking, liability):
        with pytest.raises(ProtectedError):
            account.delete()

    assert QboConnection.objects.get().sales_deposit_account == checking
    assert Tax.objects.get(pk=tax.pk).qbo_account == liability


def qbo_account_inactivate(sandbox, name: str) -> None:
    """Inactivate an account in QBO, as a user there would ("delete" is inactivation)."""
    raw = sandbox.query(select("Account", {"Name": name}))["Account"][0]
    body = {"Id": raw["Id"], "SyncToken": raw["SyncToken"], "sparse": True, "Active": False}
    sandbox.api("POST", "account", json=body).raise_for_status()


@pytest.mark.parametrize("sync", [company_mirror_refresh, changes_sync_run])
def test_an_account_inactivated_in_quickbooks_stays_mapped_and_shows_as_a_conflict(
    admin_client, synced, sync
):
    """Both ways the mirror learns of it (Refresh accounts, the hourly CDC) keep the mapping."""
    liability = QboAccount.objects.get(name="Excise Tax Payable")
    tax = factories.TaxFactory(qbo_account=liability)
    deposit = QboConnection.objects.get().sales_deposit_account
    qbo_account_inactivate(synced, "Checking")
    qbo_account_inactivate(synced, "Excise Tax Payable")

    sync()

    connection = QboConnection.objects.get()
    assert connection.sales_deposit_account == deposit
    assert Tax.objects.get(pk=tax.pk).qbo_account == liability
    assert not QboAccount.objects.get(pk=deposit.pk).active
    assert any("is inactive in QuickBooks" in c for c in key_account_conflicts(connection))
    taxes_page = admin_client.get(reverse("sales:taxes")).content.decode()
    assert "Account mapping conflict: “Excise Tax Payable" in taxes_page
