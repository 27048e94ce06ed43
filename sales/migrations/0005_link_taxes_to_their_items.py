"""Link each existing tax to the QBO item that carries it, only where that item is safely its own.

Until now a tax found its item by name at every push, so a tax renamed after a product's item
took that item over. Linked here: a Service item of the tax's name, on no product and no
other tax, that either posts to the tax's account already or was made here for the tax (the
description the push gave it). Any other tax gets its item at its next push, or a clear
refusal if another item holds its name.
"""

from django.db import migrations
from django.db.models import Q


def link_taxes_to_their_items(apps, schema_editor):
    Tax = apps.get_model("sales", "Tax")
    QboItem = apps.get_model("integrations", "QboItem")
    Product = apps.get_model("products", "Product")
    taken = set(Tax.objects.exclude(qbo_item=None).values_list("qbo_item_id", flat=True))
    for tax in Tax.objects.filter(qbo_item=None).order_by("pk"):
        item = QboItem.objects.filter(name__iexact=tax.name).first()
        if item is None or item.pk in taken or item.type != "Service":
            continue
        if Product.objects.filter(Q(sales_qbo_item=item) | Q(purchase_qbo_item=item)).exists():
            continue
        posts_to_tax_account = tax.qbo_account_id is not None and (
            item.income_account_id == tax.qbo_account_id
        )
        made_for_tax = item.origin == "local" and item.description.startswith(
            f"{tax.name}, collected on invoices"
        )
        if posts_to_tax_account or made_for_tax:
            Tax.objects.filter(pk=tax.pk).update(qbo_item=item)
            taken.add(item.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_tax_qbo_item"),
        ("products", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(link_taxes_to_their_items, migrations.RunPython.noop),
    ]
