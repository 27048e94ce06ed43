from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"

    def ready(self):
        from integrations.outbox.registry import sync_adapter_register
        from sales import models, qbo

        sync_adapter_register(models.Customer, qbo.CustomerAdapter())
        sync_adapter_register(models.Invoice, qbo.InvoiceAdapter())
        sync_adapter_register(models.InvoicePayment, qbo.InvoicePaymentAdapter())
        sync_adapter_register(models.SalesReturn, qbo.SalesReturnAdapter())
