import pytest
from django.contrib.auth.models import Group, Permission
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from django_q.signing import SignedPackage

from integrations.models import PushAttempt, QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.schedules import CHANGES_SCHEDULE
from products.models import DocumentNumbering, Product
from purchases.models import PurchaseOrder, PurchasePayment, PurchaseReturn, Vendor
from sales.models import Customer, Invoice, InvoicePayment, SalesReturn, Tax
from tests import factories


def staff_user(django_user_model, username: str, permissions):
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.add(*permissions)
    return user


@pytest.fixture
def viewer(django_user_model):
    """Staff who may view (and change) every model, but not manage the QuickBooks integration."""
    return staff_user(
        django_user_model, "viewer", Permission.objects.filter(codename__startswith="view_")
    )


@pytest.fixture
def manager(django_user_model):
    """Staff with only the integration permission (and view permissions)."""
    return staff_user(
        django_user_model,
        "manager",
        Permission.objects.filter(codename__startswith="view_")
        | Permission.objects.filter(codename="manage_qbo_integration"),
    )


@pytest.fixture
def broad_staff(django_user_model):
    """Staff holding every model permission there is, except the integration permission."""
    return staff_user(
        django_user_model,
        "broad",
        Permission.objects.exclude(codename="manage_qbo_integration"),
    )


@pytest.fixture
def admin_objects(db, django_user_model):
    """One saved object of every model the admin registers, by model."""

    def task(success: bool) -> Task:
        return Task.objects.create(
            id=f"task-{success}",
            name=f"qbo-items-sync-{success}",
            func="integrations.tasks.changes_sync_task",
            started="2026-01-01T00:00Z",
            stopped="2026-01-01T00:01Z",
            success=success,
        )

    invoice = factories.InvoiceLineFactory().invoice
    factories.InvoiceTaxLineFactory(invoice=invoice)
    order = factories.PurchaseOrderLineFactory().purchase_order
    package = {"id": "q1", "name": "qbo-push-1", "func": "integrations.tasks.sync_job_run_task"}
    return {
        Group: Group.objects.create(name="Clerks"),
        django_user_model: django_user_model.objects.create_user("clerk", password="pw"),
        Schedule: Schedule.objects.get(name=CHANGES_SCHEDULE),
        OrmQ: OrmQ.objects.create(key="distru_qbo", payload=SignedPackage.dumps(package)),
        Success: Success.objects.get(pk=task(success=True).pk),
        Failure: Failure.objects.get(pk=task(success=False).pk),
        QboConnection: factories.QboConnectionFactory(),
        QboAccount: factories.QboAccountFactory(),
        QboClass: factories.QboClassFactory(),
        QboItem: factories.QboItemFactory(),
        Product: factories.ProductFactory(),
        DocumentNumbering: factories.DocumentNumberingFactory(),
        Customer: invoice.customer,
        Tax: factories.TaxFactory(),
        Invoice: invoice,
        InvoicePayment: factories.InvoicePaymentFactory(invoice=invoice),
        SalesReturn: factories.SalesReturnLineFactory().sales_return,
        Vendor: order.vendor,
        PurchaseOrder: order,
        PurchasePayment: factories.PurchasePaymentFactory(purchase_order=order),
        PurchaseReturn: factories.PurchaseReturnLineFactory().purchase_return,
        SyncRun: factories.SyncRunFactory(),
        PushAttempt: factories.PushAttemptFactory(record=invoice),
    }
