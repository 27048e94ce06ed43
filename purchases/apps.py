from django.apps import AppConfig


class PurchasesConfig(AppConfig):
    name = "purchases"

    def ready(self):
        from integrations.outbox.registry import sync_adapter_register
        from purchases import models, qbo

        sync_adapter_register(models.Vendor, qbo.VendorAdapter())
        sync_adapter_register(models.PurchaseOrder, qbo.PurchaseOrderAdapter())
        sync_adapter_register(models.PurchasePayment, qbo.PurchasePaymentAdapter())
        sync_adapter_register(models.PurchaseReturn, qbo.PurchaseReturnAdapter())
