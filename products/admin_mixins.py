from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse

from distru_qbo.money import round_cents
from products.forms import (
    DocumentPartsFormSet,
    NumberedDocumentForm,
    PricedLinesFormSet,
    ProductLineForm,
    TaxLineForm,
    TaxLinesFormSet,
    TaxSelect,
)
from products.selectors import documents_with_balance
from products.services import document_number_take, priced_document_recalculate


class ProductLineInline(admin.TabularInline):
    """Inline for document lines; the amount is computed, so it is shown, not edited."""

    form = ProductLineForm
    formset = PricedLinesFormSet
    extra = 1
    fields = ["product", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]
    autocomplete_fields = ["product"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "product":
            # Where the page's script asks for a picked product's default price, and which.
            url = reverse("admin:products_product_default_prices", args=[0])
            formfield.widget.attrs.update(
                {
                    "data-default-prices-url": url.replace("/0/", "/{id}/"),
                    "data-side": self.parent_model.side,
                }
            )
        return formfield


class TaxLineInline(admin.TabularInline):
    form = TaxLineForm
    formset = TaxLinesFormSet
    extra = 0
    fields = ["tax", "rate", "taxable_amount", "amount"]
    readonly_fields = ["rate", "taxable_amount", "amount"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tax":
            kwargs["widget"] = TaxSelect
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DateHierarchyChangeList(ChangeList):
    """Django turns a bad date-hierarchy link into a redirect, but not a year past 9999 or one
    too big for an int (a crafted `?invoice_date__year=`), which raised a 500 instead."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class PricedDocumentAdmin(admin.ModelAdmin):
    """Recomputes line amounts, taxes and totals once the inlines are saved, and shows what is
    left to pay (`balance_due`) or, on a return, the credit left (`credit_remaining`).

    A document saved without a number takes the next of its series."""

    form = NumberedDocumentForm

    class Media:
        js = ["admin/js/jquery.init.js", "products/document_entry.js"]

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList

    def get_queryset(self, request):
        return documents_with_balance(super().get_queryset(request))

    @admin.display(description="Balance due", ordering="balance_due")
    def balance_due(self, document):
        return _cents(document)

    @admin.display(description="Credit remaining", ordering="balance_due")
    def credit_remaining(self, document):
        return _cents(document)

    def get_formsets_with_inlines(self, request, obj=None):
        parts = []  # this form's lines, tax lines and payments, which are checked together
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if issubclass(formset, DocumentPartsFormSet):
                formset = type(formset.__name__, (formset,), {"parts": parts})
            yield formset, inline

    def save_model(self, request, obj, form, change):
        if not obj.number:
            obj.number = document_number_take(kind=obj.numbering)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        priced_document_recalculate(document=form.instance)
        for formset in formsets:
            if isinstance(formset, TaxLinesFormSet) and formset.exempted:
                self._say_exempted(request, form.instance, formset)

    def _say_exempted(self, request, document, formset) -> None:
        taxes = formset.model._meta.get_field("tax").related_model.objects
        names = ", ".join(taxes.filter(pk__in=formset.exempted).values_list("name", flat=True))
        party = getattr(document, document.party_field)
        self.message_user(request, f"{names} not charged: {party} is tax-exempt.", messages.INFO)


def _cents(document) -> Decimal | None:
    # SQLite hands back computed decimals as it computed them (150, not 150.00); the add page's
    # document has no balance yet.
    balance = getattr(document, "balance_due", None)
    return None if balance is None else round_cents(balance)
