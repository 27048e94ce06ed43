from django.contrib import admin

from integrations.outbox.admin import QboSyncedAdminMixin
from integrations.selectors import QuickBooksState
from products.admin_mixins import PricedDocumentAdmin, ProductLineInline, TaxLineInline
from products.forms import PaymentsFormSet
from purchases.forms import PurchaseOrderForm, PurchasePaymentForm
from purchases.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderTaxLine,
    PurchasePayment,
    PurchaseReturn,
    PurchaseReturnLine,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(QboSyncedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "license_number", "email", "phone", "tax_exempt", "active", "qbo_id"]
    list_filter = ["active", "tax_exempt"]
    search_fields = ["name", "license_number", "email"]
    readonly_fields = ["qbo_id", "sync_token"]


class PurchaseOrderLineInline(ProductLineInline):
    model = PurchaseOrderLine


class PurchaseOrderTaxLineInline(TaxLineInline):
    model = PurchaseOrderTaxLine


class PurchasePaymentInline(admin.TabularInline):
    model = PurchasePayment
    formset = PaymentsFormSet
    extra = 0
    fields = ["paid_on", "amount", "method", "reference"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(QboSyncedAdminMixin, PricedDocumentAdmin):
    form = PurchaseOrderForm
    list_display = [
        "number",
        "vendor",
        "order_date",
        "status",
        "subtotal",
        "tax_total",
        "total",
        "balance_due",
        "qbo_id",
    ]
    list_filter = ["status", "order_date", "vendor"]
    search_fields = ["number", "vendor__name", "notes"]
    date_hierarchy = "order_date"
    list_select_related = ["vendor"]
    autocomplete_fields = ["vendor"]
    readonly_fields = ["subtotal", "tax_total", "total", "balance_due", "qbo_id"]
    inlines = [PurchaseOrderLineInline, PurchaseOrderTaxLineInline, PurchasePaymentInline]

    def qbo_state_label(self, order) -> str:
        # Only a completed order is a bill in QuickBooks; the others are not sent, by design.
        if order.qbo_state == QuickBooksState.NOT_SENT:
            if order.status == PurchaseOrder.Status.CANCELLED:
                return "Not sent (cancelled)"
            if order.status != PurchaseOrder.Status.COMPLETED:
                return "Sent when completed"
        return super().qbo_state_label(order)


@admin.register(PurchasePayment)
class PurchasePaymentAdmin(QboSyncedAdminMixin, admin.ModelAdmin):
    form = PurchasePaymentForm
    list_display = ["purchase_order", "paid_on", "amount", "method", "reference", "qbo_id"]
    list_filter = ["method", "paid_on"]
    search_fields = ["purchase_order__number", "purchase_order__vendor__name", "reference"]
    list_select_related = ["purchase_order"]
    autocomplete_fields = ["purchase_order"]
    readonly_fields = ["qbo_id", "sync_token"]


class PurchaseReturnLineInline(ProductLineInline):
    model = PurchaseReturnLine


@admin.register(PurchaseReturn)
class PurchaseReturnAdmin(QboSyncedAdminMixin, PricedDocumentAdmin):
    list_display = [
        "number",
        "vendor",
        "purchase_order",
        "return_date",
        "total",
        "credit_remaining",
        "qbo_id",
    ]
    list_filter = ["return_date"]
    search_fields = ["number", "vendor__name", "purchase_order__number", "reason"]
    list_select_related = ["vendor", "purchase_order"]
    autocomplete_fields = ["vendor", "purchase_order"]
    readonly_fields = ["subtotal", "tax_total", "total", "credit_remaining", "qbo_id"]
    inlines = [PurchaseReturnLineInline]
