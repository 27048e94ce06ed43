from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "QuickBooks Online"

    def ready(self):
        from integrations.item_adapter import QboItemAdapter
        from integrations.models import QboItem
        from integrations.sync_registry import sync_adapter_register

        sync_adapter_register(QboItem, QboItemAdapter())
