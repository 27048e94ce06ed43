"""Thin receivers: a save or delete of a synced record writes its outbox job, nothing more."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_delete, post_save

from integrations.outbox.jobs import sync_job_record, sync_job_record_delete

_suppressed: ContextVar[bool] = ContextVar("outbox_suppressed", default=False)


@contextmanager
def outbox_suppressed():
    """Changes made here *because of* QBO (imports, reconciles) must not echo back to QBO."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _record_saved(sender, instance, raw=False, **kwargs):
    if raw or _suppressed.get():
        return
    sync_job_record(record=instance)


def _record_deleted(sender, instance, **kwargs):
    if _suppressed.get():
        return
    sync_job_record_delete(record=instance)


def outbox_signals_connect(model) -> None:
    """Connect the outbox receivers to one synced model."""
    uid = f"qbo-outbox-{model._meta.label_lower}"
    post_save.connect(_record_saved, sender=model, dispatch_uid=f"{uid}-save")
    post_delete.connect(_record_deleted, sender=model, dispatch_uid=f"{uid}-delete")
