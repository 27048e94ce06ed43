"""One permission guards every write to the integration; admin actions need the model's own."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrations.models import QboConnection, SyncJob
from tests import factories

pytestmark = pytest.mark.django_db

WRITES = [
    ("post", "integrations:connect", {}),
    ("post", "integrations:disconnect", {}),
    ("post", "integrations:sync", {}),
    ("post", "integrations:outbox_retry", {}),
    ("post", "integrations:key_accounts", {}),
    ("post", "integrations:key_accounts", {"refresh": "1"}),
    ("post", "integrations:reconciliation", {"month": "2026-10"}),
    ("get", "integrations:callback", {"state": "s", "code": "c", "realmId": "1"}),
    ("post", "sales:taxes", {}),
]


@pytest.mark.parametrize(("method", "name", "data"), WRITES)
def test_staff_without_the_integration_permission_are_refused_every_write(
    client, viewer, method, name, data
):
    factories.QboConnectionFactory()
    client.force_login(viewer)
    response = getattr(client, method)(reverse(name), data)
    assert response.status_code == 403
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.CONNECTED
    assert connection.refresh_token == "refresh-token-value"


@pytest.mark.parametrize("status", ["connected", "disconnected"])
def test_staff_without_the_permission_see_the_status_with_no_buttons(client, viewer, status):
    factories.QboConnectionFactory(status=status)
    client.force_login(viewer)
    page = client.get(reverse("integrations:quickbooks")).content.decode()
    assert 'action="/settings/' not in page
    for button in ('value="Connect', 'value="Disconnect"', 'value="Sync now"', "Key accounts</a>"):
        assert button not in page


def test_staff_without_the_permission_see_the_key_accounts_disabled_and_cannot_save(client, viewer):
    factories.QboConnectionFactory()
    client.force_login(viewer)
    page = client.get(reverse("integrations:key_accounts")).content.decode()
    assert "Save key accounts" not in page and "Refresh accounts" not in page
    assert page.count(" disabled") >= 4


def test_a_manager_sees_every_button(client, manager):
    factories.QboConnectionFactory()
    client.force_login(manager)
    page = client.get(reverse("integrations:quickbooks")).content.decode()
    for button in ('value="Disconnect"', 'value="Sync now"', "Key accounts</a>"):
        assert button in page


def test_the_connection_admin_is_read_only_without_the_permission(client, django_user_model):
    factories.QboConnectionFactory()
    user = django_user_model.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="integrations", codename__endswith="qboconnection"
        )
    )
    client.force_login(user)
    url = reverse("admin:integrations_qboconnection_change", args=[1])
    account = factories.QboAccountFactory()
    response = client.post(url, {"default_income_account": account.pk})
    assert response.status_code == 403
    assert QboConnection.objects.get().default_income_account is None
    assert 'name="default_income_account"' not in client.get(url).content.decode()


def test_nobody_deletes_the_connection_row_in_the_admin(admin_client):
    factories.QboConnectionFactory()
    url = reverse("admin:integrations_qboconnection_delete", args=[1])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert QboConnection.objects.get().refresh_token == "refresh-token-value"


def test_the_tax_admin_keeps_the_qbo_account_read_only_without_the_permission(client, viewer):
    tax = factories.TaxFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="change_tax"))
    client.force_login(viewer)
    account = factories.QboAccountFactory(account_type="Other Current Liability")
    url = reverse("admin:sales_tax_change", args=[tax.pk])
    assert 'name="qbo_account"' not in client.get(url).content.decode()
    client.post(
        url,
        {
            "name": tax.name,
            "rate": "15",
            "applies_to": "none",
            "active": "on",
            "qbo_account": account.pk,
        },
    )
    tax.refresh_from_db()
    assert tax.qbo_account is None


def _registered_actions():
    for model, model_admin in admin.site._registry.items():
        for func, name, _ in model_admin._get_base_actions():
            yield model, name, func


def test_every_admin_action_declares_the_permissions_it_needs():
    undeclared = [
        f"{model.__name__}.{name}"
        for model, name, func in _registered_actions()
        if not getattr(func, "allowed_permissions", None)
    ]
    assert undeclared == []


SYNCED = {
    "sales.customer": factories.CustomerFactory,
    "sales.invoice": factories.InvoiceFactory,
    "sales.invoicepayment": factories.InvoicePaymentFactory,
    "sales.salesreturn": factories.SalesReturnFactory,
    "purchases.vendor": factories.VendorFactory,
    "purchases.purchaseorder": factories.PurchaseOrderFactory,
    "purchases.purchasepayment": factories.PurchasePaymentFactory,
    "purchases.purchasereturn": factories.PurchaseReturnFactory,
    "integrations.qboitem": factories.QboItemFactory,
}


@pytest.mark.parametrize("label", SYNCED)
def test_sync_to_quickbooks_is_refused_without_the_change_permission(client, viewer, label):
    record = SYNCED[label]()
    factories.QboConnectionFactory()
    SyncJob.objects.all().delete()
    client.force_login(viewer)
    app_label, model = label.split(".")
    url = reverse(f"admin:{app_label}_{model}_changelist")

    assert "sync_to_quickbooks" not in client.get(url).content.decode()
    client.post(url, {"action": "sync_to_quickbooks", "_selected_action": [record.pk]})
    assert not SyncJob.objects.exists()

    # The same user with the change permission may: the refusal was the permission.
    viewer.user_permissions.add(Permission.objects.get(codename=f"change_{model}"))
    client.force_login(viewer)
    client.post(url, {"action": "sync_to_quickbooks", "_selected_action": [record.pk]})
    assert SyncJob.objects.filter(object_id=str(record.pk)).exists()


def test_bulk_update_and_delete_are_refused_without_their_permissions(client, viewer):
    product = factories.ProductFactory()
    item = factories.QboItemFactory()
    client.force_login(viewer)
    url = reverse("admin:products_product_changelist")
    page = client.get(url).content.decode()
    assert "bulk_update_qbo_items" not in page and "delete_selected" not in page
    client.post(
        url,
        {
            "action": "bulk_update_qbo_items",
            "_selected_action": [product.pk],
            "post": "yes",
            "sales_qbo_item": item.pk,
        },
    )
    client.post(url, {"action": "delete_selected", "_selected_action": [product.pk], "post": "yes"})
    product.refresh_from_db()
    assert product.sales_qbo_item is None


@pytest.mark.parametrize("model", ["success", "failure"])
def test_resubmitting_queued_tasks_needs_the_integration_permission(
    client, viewer, manager, model, monkeypatch
):
    from django_q.models import Task

    task = Task.objects.create(
        id="t1",
        name="t1",
        func="integrations.tasks.changes_sync_task",
        started="2026-01-01T00:00Z",
        stopped="2026-01-01T00:00Z",
        success=model == "success",
    )
    resubmitted = []
    monkeypatch.setattr("django_q.admin.async_task", lambda func, *a, **k: resubmitted.append(func))
    url = reverse(f"admin:django_q_{model}_changelist")
    data = {"action": "resubmit_task", "_selected_action": [task.pk]}

    client.force_login(viewer)
    assert "resubmit_task" not in client.get(url).content.decode()
    client.post(url, data)
    assert resubmitted == []

    client.force_login(manager)
    client.post(url, data)
    assert resubmitted == ["integrations.tasks.changes_sync_task"]
