from django.contrib import admin

from products.services import priced_document_recalculate


class ProductLineInline(admin.TabularInline):
    """Inline for document lines; the amount is computed, so it is shown, not edited."""

    extra = 1
    fields = ["product", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]
    autocomplete_fields = ["product"]


class TaxLineInline(admin.TabularInline):
    extra = 0
    fields = ["tax", "rate", "taxable_amount", "amount"]
    readonly_fields = ["rate", "taxable_amount", "amount"]


class PricedDocumentAdmin(admin.ModelAdmin):
    """Recomputes line amounts, taxes and totals once the inlines are saved."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        priced_document_recalculate(document=form.instance)
