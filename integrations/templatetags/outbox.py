"""Template helpers of the sync status: each push linked to its record, each error in words."""

from django import template
from django.utils.html import format_html

from integrations.models import SyncJob
from integrations.outbox.admin import record_admin_url
from integrations.outbox.errors import error_parts
from integrations.selectors import item_delete_outcome

register = template.Library()


@register.simple_tag
def record_link(job: SyncJob) -> str:
    """The job's label, linked to its record's change page while the record exists here."""
    if url := record_admin_url(job):
        return format_html('<a href="{}">{}</a>', url, job.label)
    return job.label


@register.inclusion_tag("integrations/_error.html")
def qbo_error(message: str) -> dict:
    """A push's error or a connection's reason: what to do, QBO's words, the code below."""
    return {"parts": error_parts(message)}


@register.filter
def qbo_delete_outcome(item) -> str:
    """What deleting this QBO item here does in QuickBooks."""
    return item_delete_outcome(item)
