"""Purchase forms: an order keeps Completed while it has payments; a payment fits its balance."""

from django import forms

from products.forms import NumberedDocumentForm, PaymentAdminForm
from purchases.models import PurchaseOrder


class PurchaseOrderForm(NumberedDocumentForm):
    """Leaving Completed deletes the order's bill in QuickBooks, which QBO refuses once paid."""

    def clean_status(self):
        status = self.cleaned_data["status"]
        leaving = self.initial.get("status") == PurchaseOrder.Status.COMPLETED != status
        payments = self.instance.payments.count() if leaving and self.instance.pk else 0
        if payments:
            raise forms.ValidationError(
                f"Delete this order's payments first (it has {payments}), then change its "
                "status: leaving Completed deletes its bill in QuickBooks, and QuickBooks will "
                "not delete a bill that has payments applied."
            )
        return status


class PurchasePaymentForm(PaymentAdminForm):
    """A payment to a vendor: at most what its purchase order has open."""

    document_field = "purchase_order"
