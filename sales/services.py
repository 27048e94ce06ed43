from integrations.models import QboAccount, QboItem
from integrations.outbox.registry import PushRefused
from sales.models import Tax


def tax_account_for_push(*, tax: Tax) -> QboAccount:
    """The account a tax posts to in QBO; an unmapped tax stops the push before anything is sent."""
    if tax.qbo_account is None:
        raise PushRefused(
            f"“{tax.name}” is not mapped to a QuickBooks account. Map it under Settings → Taxes "
            "(to an Other Current Liability account), then retry."
        )
    return tax.qbo_account


def tax_item_ensure(*, tax: Tax) -> QboItem:
    """The QBO service item that carries `tax` on invoice lines, posting to the tax's account."""
    tax_account_for_push(tax=tax)
    item = QboItem.objects.filter(name__iexact=tax.name).first()
    if item is None:
        return QboItem.objects.create(
            name=tax.name,
            type=QboItem.Type.SERVICE,
            income_account=tax.qbo_account,
            description=f"{tax.name}, collected on invoices and posted to {tax.qbo_account.name}.",
        )
    if item.income_account_id != tax.qbo_account_id or not item.active:
        item.income_account = tax.qbo_account
        item.active = True
        item.save(update_fields=["income_account", "active", "updated_at"])
    return item
