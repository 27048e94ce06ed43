from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast

from integrations.models import SyncJob


class QuickBooksState(models.TextChoices):
    """Where a record stands with QuickBooks, as its list shows and filters it."""

    SYNCED = "synced", "Synced"
    PENDING = "pending", "Pending"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"
    CHANGED = "changed", "Changed in QuickBooks"
    NOT_SENT = "not_sent", "Not sent"


def with_sync_status(queryset: QuerySet) -> QuerySet:
    """Annotate each record with its outbox job's status, its QBO-side change and the state
    they make (`qbo_state`, a QuickBooksState), in one query."""
    jobs = SyncJob.objects.filter(
        content_type=ContentType.objects.get_for_model(queryset.model),
        object_id=Cast(OuterRef("pk"), CharField()),
    )
    return queryset.annotate(
        qbo_sync_status=Subquery(jobs.values("status")[:1]),
        qbo_remote_change=Subquery(jobs.values("remote_change")[:1]),
    ).annotate(
        # Work still to do comes first; a record in QuickBooks with nothing to do is synced,
        # whether a push put it there or it was imported; a job that ended without a QBO id
        # (a purchase order that is not completed) sent nothing.
        qbo_state=Case(
            When(qbo_sync_status=SyncJob.Status.FAILED, then=Value(QuickBooksState.FAILED)),
            When(qbo_sync_status=SyncJob.Status.PAUSED, then=Value(QuickBooksState.PAUSED)),
            When(
                qbo_sync_status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING],
                then=Value(QuickBooksState.PENDING),
            ),
            When(
                Q(qbo_remote_change__isnull=False) & ~Q(qbo_remote_change=""),
                then=Value(QuickBooksState.CHANGED),
            ),
            When(~Q(qbo_id=""), then=Value(QuickBooksState.SYNCED)),
            default=Value(QuickBooksState.NOT_SENT),
            output_field=CharField(),
        )
    )


def sync_job_for(record) -> SyncJob | None:
    """The outbox job of one record, if it has one."""
    return SyncJob.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).first()
