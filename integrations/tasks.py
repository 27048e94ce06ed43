"""django-q entry points: each loads what it needs and calls one service."""

from integrations.services.connection import qbo_client
from integrations.services.items import items_import


def items_import_task() -> int:
    """Import every QBO item (run in the background right after connecting)."""
    return items_import(client=qbo_client()).processed
