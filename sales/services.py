from integrations.models import QboItem
from integrations.sync_registry import PushRefused
from sales.models import Tax


def tax_item_ensure(*, tax: Tax) -> QboItem:
    """The QBO service item that carries `tax` on invoice lines, posting to the tax's account."""
    if tax.qbo_account is None:
        raise PushRefused(
            f"“{tax.name}” is not mapped to a QuickBooks account. Map it under Sales → Taxes "
            "(for example to an Other Current Liability account), then retry."
        )
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
