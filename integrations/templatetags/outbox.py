"""Template helpers of the status page: each push names its record, linked to its admin page."""

from django import template
from django.utils.html import format_html

from integrations.models import SyncJob
from integrations.outbox.admin import record_admin_url

register = template.Library()


@register.simple_tag
def record_link(job: SyncJob) -> str:
    """The job's label, linked to its record's change page while the record exists here."""
    if url := record_admin_url(job):
        return format_html('<a href="{}">{}</a>', url, job.label)
    return job.label
