from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast

from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import QboConnection, QboItem, SyncJob


@dataclass(frozen=True)
class MappingSide:
    """One side a product is mapped on, as the items see it."""

    default: str  # the item a product without a mapping on this side uses
    other_default: str  # the other side's default: never a product's item on this side
    other_lines: str  # where the other side's default goes
    account_field: str  # the QboItem account this side posts to
    account_label: str  # that account's key account, which an item without one posts to


# Product's Sales and Purchase item relations, by their reverse names on QboItem (integrations
# may not import products).
MAPPING_SIDES = {
    "sales_products": MappingSide(
        DEFAULT_SALES_ITEM_NAME,
        DEFAULT_PURCHASE_ITEM_NAME,
        "bill lines",
        "income_account",
        "Default Income",
    ),
    "purchase_products": MappingSide(
        DEFAULT_PURCHASE_ITEM_NAME,
        DEFAULT_SALES_ITEM_NAME,
        "invoice lines",
        "expense_account",
        "Default Expense",
    ),
}


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


def items_offered_for(*, mapping: str) -> QuerySet[QboItem]:
    """The items a product may be mapped to on one side (`mapping`, a key of MAPPING_SIDES):
    active, carrying no tax, and not the other side's default."""
    side = MAPPING_SIDES[mapping]
    return (
        QboItem.objects.filter(active=True, tax__isnull=True)
        .exclude(name__iexact=side.other_default)
        .select_related(side.account_field)
    )


def item_unfit_for(item: QboItem, *, mapping: str) -> str | None:
    """Why a product may not be mapped to `item` on one side, in words; None when it may."""
    side = MAPPING_SIDES[mapping]
    if not item.active:
        return f"Pick another item: “{item.name}” is no longer an active QuickBooks item."
    if tax := getattr(item, "tax", None):
        return (
            f"Pick another item: “{item.name}” carries the tax “{tax.name}” on invoices, and a "
            "product on it would be booked as that tax."
        )
    if item.name.lower() == side.other_default.lower():
        return (
            f"Pick another item, or leave this empty to use {side.default}: “{item.name}” is "
            f"the default item of {side.other_lines}."
        )
    return None


def item_delete_outcome(item: QboItem) -> str:
    """What deleting `item` here does in QuickBooks, as `sync_job_record_delete` will do it."""
    job = sync_job_for(item)
    if job is not None and job.status == SyncJob.Status.RUNNING:
        return (
            "It is being sent to QuickBooks right now: once QuickBooks has it, it is "
            "inactivated there (QuickBooks never deletes an item)."
        )
    if not (item.qbo_id or (job is not None and job.qbo_id)):
        return "It never reached QuickBooks, so nothing is sent there: it is removed here only."
    status = QboConnection.objects.values_list("status", flat=True).first()
    if status == QboConnection.Status.CONNECTED:
        return "It will be inactivated in QuickBooks (QuickBooks never deletes an item)."
    if status == QboConnection.Status.EXPIRED:
        return (
            "It will be inactivated in QuickBooks (QuickBooks never deletes an item) once you "
            "reconnect to QuickBooks."
        )
    return (
        "QuickBooks is not connected, so nothing is sent: the item stays active in "
        "QuickBooks, and connecting again imports it back here."
    )
