from django.contrib import admin

from integrations.outbox.admin import QboSyncedAdminMixin
from integrations.permissions import can_manage_integration
from products.admin_mixins import PricedDocumentAdmin, ProductLineInline, TaxLineInline
from products.forms import PaymentsFormSet
from sales.forms import InvoicePaymentForm, TaxAdminForm
from sales.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceTaxLine,
    SalesReturn,
    SalesReturnLine,
    Tax,
)
from sales.services import tax_item_rename


@admin.register(Customer)
class CustomerAdmin(QboSyncedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "license_number", "email", "phone", "tax_exempt", "active", "qbo_id"]
    list_filter = ["active", "tax_exempt"]
    search_fields = ["name", "license_number", "email"]
    readonly_fields = ["qbo_id", "sync_token"]


@admin.register(Tax)
class TaxAdmin(admin.ModelAdmin):
    form = TaxAdminForm
    list_display = ["name", "rate", "applies_to", "qbo_account", "active"]
    list_filter = ["applies_to", "active"]
    search_fields = ["name"]
    list_select_related = ["qbo_account"]
    autocomplete_fields = ["qbo_account"]
    fields = ["name", "rate", "applies_to", "qbo_account", "active", "qbo_item"]
    readonly_fields = ["qbo_item"]

    def get_readonly_fields(self, request, obj=None):
        # The QBO account is integration configuration (Settings → Taxes), under its permission.
        readonly = list(super().get_readonly_fields(request, obj))
        if not can_manage_integration(request.user):
            readonly.append("qbo_account")
        return readonly

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tax_item_rename(tax=obj)


class InvoiceLineInline(ProductLineInline):
    model = InvoiceLine


class InvoiceTaxLineInline(TaxLineInline):
    model = InvoiceTaxLine


class InvoicePaymentInline(admin.TabularInline):
    model = InvoicePayment
    formset = PaymentsFormSet
    extra = 0
    fields = ["paid_on", "amount", "method", "reference"]


@admin.register(Invoice)
class InvoiceAdmin(QboSyncedAdminMixin, PricedDocumentAdmin):
    list_display = [
        "number",
        "customer",
        "invoice_date",
        "due_date",
        "subtotal",
        "tax_total",
        "total",
        "balance_due",
        "qbo_id",
    ]
    list_filter = ["invoice_date", "customer"]
    search_fields = ["number", "customer__name", "notes"]
    date_hierarchy = "invoice_date"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["subtotal", "tax_total", "total", "balance_due", "qbo_id"]
    inlines = [InvoiceLineInline, InvoiceTaxLineInline, InvoicePaymentInline]


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(QboSyncedAdminMixin, admin.ModelAdmin):
    form = InvoicePaymentForm
    list_display = ["invoice", "paid_on", "amount", "method", "reference", "qbo_id"]
    list_filter = ["method", "paid_on"]
    search_fields = ["invoice__number", "invoice__customer__name", "reference"]
    list_select_related = ["invoice"]
    autocomplete_fields = ["invoice"]
    readonly_fields = ["qbo_id", "sync_token"]


class SalesReturnLineInline(ProductLineInline):
    model = SalesReturnLine


@admin.register(SalesReturn)
class SalesReturnAdmin(QboSyncedAdminMixin, PricedDocumentAdmin):
    list_display = [
        "number",
        "customer",
        "invoice",
        "return_date",
        "total",
        "credit_remaining",
        "qbo_id",
    ]
    list_filter = ["return_date"]
    search_fields = ["number", "customer__name", "invoice__number", "reason"]
    list_select_related = ["customer", "invoice"]
    autocomplete_fields = ["customer", "invoice"]
    readonly_fields = ["subtotal", "tax_total", "total", "credit_remaining", "qbo_id"]
    inlines = [SalesReturnLineInline]
