import pytest
from django.contrib.auth.models import Permission

from integrations.models import QboAccount, QboClass, QboConnection, QboItem
from products.models import Product
from purchases.models import PurchaseOrder, PurchasePayment, PurchaseReturn, Vendor
from sales.models import Customer, Invoice, InvoicePayment, SalesReturn, Tax


@pytest.fixture
def viewer(django_user_model):
    """Staff who may view (and change) every model, but not manage the QuickBooks integration."""
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def manager(django_user_model):
    """Staff with only the integration permission (and view permissions)."""
    user = django_user_model.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_"),
        Permission.objects.get(codename="manage_qbo_integration"),
    )
    return user


@pytest.fixture
def broad_staff(django_user_model):
    """Staff holding every model permission there is, except the integration permission."""
    user = django_user_model.objects.create_user("broad", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.exclude(codename="manage_qbo_integration"))
    return user


@pytest.fixture
def admin_objects(db, django_user_model):
    """One saved object of every model the admin registers, by model."""
    from django.contrib.auth.models import Group
    from django_q.models import Failure, OrmQ, Schedule, Success, Task
    from django_q.signing import SignedPackage

    from integrations.schedules import ITEM_SYNC_SCHEDULE
    from tests import factories

    def task(success: bool) -> Task:
        return Task.objects.create(
            id=f"task-{success}",
            name=f"qbo-items-sync-{success}",
            func="integrations.tasks.item_sync_task",
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
        Schedule: Schedule.objects.get(name=ITEM_SYNC_SCHEDULE),
        OrmQ: OrmQ.objects.create(key="distru_qbo", payload=SignedPackage.dumps(package)),
        Success: Success.objects.get(pk=task(success=True).pk),
        Failure: Failure.objects.get(pk=task(success=False).pk),
        QboConnection: factories.QboConnectionFactory(),
        QboAccount: factories.QboAccountFactory(),
        QboClass: factories.QboClassFactory(),
        QboItem: factories.QboItemFactory(),
        Product: factories.ProductFactory(),
        Customer: invoice.customer,
        Tax: factories.TaxFactory(),
        Invoice: invoice,
        InvoicePayment: factories.InvoicePaymentFactory(invoice=invoice),
        SalesReturn: factories.SalesReturnLineFactory().sales_return,
        Vendor: order.vendor,
        PurchaseOrder: order,
        PurchasePayment: factories.PurchasePaymentFactory(purchase_order=order),
        PurchaseReturn: factories.PurchaseReturnLineFactory().purchase_return,
    }
