from django.db import transaction
from django.db.models import Q

from integrations.models import QboAccount, QboItem
from integrations.outbox.registry import PushRefused
from products.models import Product
from sales.models import Tax


def tax_account_for_push(*, tax: Tax) -> QboAccount:
    """The account a tax posts to in QBO; an unmapped tax stops the push before anything is sent."""
    if tax.qbo_account is None:
        raise PushRefused(
            f"“{tax.name}” is not mapped to a QuickBooks account. Map it under Settings → Taxes "
            "(to an Other Current Liability account), then retry."
        )
    return tax.qbo_account


def tax_item_name_holder(*, tax: Tax, name: str, account: QboAccount | None) -> QboItem | None:
    """The QBO item that holds `name` and may not carry `tax`, or None when there is none.

    QBO item names are unique regardless of case, so a tax's item must have the tax's name.
    A tax without an item yet may adopt the one holding its name only where nothing changes
    for that item: a Service item already posting to the tax's account, on no product, of no
    other tax (so an "Excise Tax" item made in QuickBooks is reused, a product's never).
    """
    holder = QboItem.objects.filter(name__iexact=name).exclude(pk=tax.qbo_item_id).first()
    if holder is None:
        return None
    adoptable = (
        tax.qbo_item_id is None
        and account is not None
        and holder.type == QboItem.Type.SERVICE
        and holder.income_account_id == account.pk
        and not Tax.objects.filter(qbo_item=holder).exclude(pk=tax.pk).exists()
        and not Product.objects.filter(
            Q(sales_qbo_item=holder) | Q(purchase_qbo_item=holder)
        ).exists()
    )
    return None if adoptable else holder


@transaction.atomic
def tax_item_ensure(*, tax: Tax) -> QboItem:
    """The tax's own QBO service item, named as the tax and posting to its account."""
    account = tax_account_for_push(tax=tax)
    if holder := tax_item_name_holder(tax=tax, name=tax.name, account=account):
        raise PushRefused(
            f"Rename the tax “{tax.name}” (Sales → Taxes in the admin), or rename the item "
            f"“{holder.name}” in QuickBooks, then retry: that item is not this tax's, and a tax "
            "travels on invoices as an item of its own."
        )
    item = tax.qbo_item or QboItem.objects.filter(name__iexact=tax.name).first()
    if item is None:
        item = QboItem.objects.create(
            name=tax.name,
            type=QboItem.Type.SERVICE,
            income_account=account,
            description=f"{tax.name}, collected on invoices and posted to {account.name}.",
        )
    wanted = {"name": tax.name, "income_account": account, "active": True}
    if changed := [field for field, value in wanted.items() if getattr(item, field) != value]:
        for field in changed:
            setattr(item, field, wanted[field])
        item.save(update_fields=[*changed, "updated_at"])
    if tax.qbo_item_id != item.pk:
        Tax.objects.filter(pk=tax.pk).update(qbo_item=item)
        tax.qbo_item = item
    return item


def tax_item_rename(*, tax: Tax) -> None:
    """Give a renamed tax's own item its new name; the item's push carries it to QBO."""
    item = tax.qbo_item
    if item is not None and item.name != tax.name:
        item.name = tax.name
        item.save(update_fields=["name", "updated_at"])
