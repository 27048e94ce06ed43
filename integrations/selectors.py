from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from integrations.models import SyncJob


def with_sync_status(queryset: QuerySet) -> QuerySet:
    """Annotate each record with its outbox job's status and QBO-side change, in one query."""
    jobs = SyncJob.objects.filter(
        content_type=ContentType.objects.get_for_model(queryset.model),
        object_id=Cast(OuterRef("pk"), CharField()),
    )
    return queryset.annotate(
        qbo_sync_status=Subquery(jobs.values("status")[:1]),
        qbo_remote_change=Subquery(jobs.values("remote_change")[:1]),
    )


def sync_job_for(record) -> SyncJob | None:
    """The outbox job of one record, if it has one."""
    return SyncJob.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).first()
