from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "QuickBooks Online"

    def ready(self):
        from integrations.item_adapter import QboItemAdapter
        from integrations.models import QboItem
        from integrations.outbox.registry import sync_adapter_register
        from integrations.schedules import schedules_post_migrate

        sync_adapter_register(QboItem, QboItemAdapter())
        post_migrate.connect(schedules_post_migrate, sender=self, dispatch_uid="qbo-schedules")
