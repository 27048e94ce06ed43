"""Reconciliation: a period's documents side by side, here and in QBO, and those that differ.

QBO's side costs one paged query per document type, naming only the fields compared:
`SELECT Id, TxnDate, TotalAmt, DocNumber FROM Invoice WHERE TxnDate >= '2026-10-01' AND
TxnDate <= '2026-10-31'`, 1000 rows a page. A month of up to 999 documents of each of the six
types is six reads. It runs in the worker, as the other long reads asked for on a page do: a
busy month takes several pages, each allowed QBO_REQUEST_DEADLINE. What it found is kept, so
the page shows it again without reading QBO again (reads are billed).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from distru_qbo.words import counted
from integrations.models import QboConnection, Reconciliation, SyncJob, SyncRun
from integrations.outbox.admin import qbo_app_url
from integrations.outbox.registry import QboSyncAdapter, sync_adapter_for, synced_models
from integrations.qbo.client import MAX_PAGE_SIZE, QboClient, quote
from integrations.qbo.errors import clip
from integrations.services.connection import qbo_client
from integrations.services.mirror import object_problem
from integrations.services.runs import sync_run, sync_run_progress, sync_run_queue

PAGE_SIZE = MAX_PAGE_SIZE
# django-q kills a task after 120 s: a run still "running" after this long died with its worker.
STALLS_AFTER = timedelta(minutes=5)
CENT = Decimal("0.01")
# Leads every list of what differs: sync is one way, so only a save here changes QBO.
MAKE_THEM_AGREE = "Correct the side that is wrong: saving it here sends ours to QuickBooks again."
# The order of the page: sales, then purchases, each document before what pays it.
ENTITY_ORDER = ["Invoice", "Payment", "Bill", "BillPayment", "CreditMemo", "VendorCredit"]


@dataclass(frozen=True)
class Ledger:
    """One document type: the model here and how it maps to its QBO entity."""

    model: type[models.Model]
    adapter: QboSyncAdapter

    @property
    def entity(self) -> str:
        return self.adapter.entity

    @property
    def label(self) -> str:
        """The QBO entity as people say it, plural: "Bill payments"."""
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", self.entity).capitalize()
        return f"{words}s"


def ledgers() -> list[Ledger]:
    """Every pushed document type, in the page's order."""
    found = [
        Ledger(model, sync_adapter_for(model))
        for model in synced_models()
        if sync_adapter_for(model).ledger is not None
    ]
    order = {entity: position for position, entity in enumerate(ENTITY_ORDER)}
    return sorted(found, key=lambda ledger: (order.get(ledger.entity, len(order)), ledger.entity))


def reconciliation_queue(*, period_start: date, period_end: date) -> Reconciliation:
    """Record a reconciliation of the period as running and hand QBO's side to the worker.

    A reconciliation of the same period already running is returned instead of a second one.
    """
    running = reconciliation_running(period_start=period_start, period_end=period_end)
    if running is not None:
        return running
    with transaction.atomic():  # the task must find the row its run belongs to
        run = sync_run_queue(
            SyncRun.Kind.RECONCILE,
            "integrations.tasks.reconciliation_run_task",
            trigger=SyncRun.Trigger.RECONCILIATION,
            task_name=f"qbo-reconcile-{period_start:%Y-%m-%d}",
        )
        return Reconciliation.objects.create(
            run=run, period_start=period_start, period_end=period_end
        )


def reconciliation_running(*, period_start: date, period_end: date) -> Reconciliation | None:
    """The reconciliation of the period still running (and not stalled), if one is."""
    return (
        Reconciliation.objects.filter(
            period_start=period_start,
            period_end=period_end,
            run__status=SyncRun.Status.RUNNING,
            run__started_at__gt=timezone.now() - STALLS_AFTER,
        )
        .select_related("run")
        .first()
    )


def reconciliation_stalled(reconciliation: Reconciliation) -> bool:
    """Whether the run is still marked running long after its worker must have ended."""
    run = reconciliation.run
    return run.status == SyncRun.Status.RUNNING and run.started_at <= timezone.now() - STALLS_AFTER


def reconciliation_latest(*, period_start: date, period_end: date) -> Reconciliation | None:
    """The period's last reconciliation, running or finished."""
    return (
        Reconciliation.objects.filter(period_start=period_start, period_end=period_end)
        .select_related("run")
        .order_by("-run__started_at", "-pk")
        .first()
    )


def reconciliation_run(*, run_id: int) -> Reconciliation:
    """Read the period's documents from QBO, one paged query per type, and compare them."""
    reconciliation = Reconciliation.objects.get(run_id=run_id)
    period = (reconciliation.period_start, reconciliation.period_end)
    with sync_run(
        SyncRun.Kind.RECONCILE, trigger=SyncRun.Trigger.RECONCILIATION, run_id=run_id
    ) as run:
        client = qbo_client()
        connection = QboConnection.objects.get()
        reconciliation.summary, reconciliation.differences, reconciliation.reads = [], [], 0
        for ledger in ledgers():
            run.message = f"reading {ledger.label.lower()}"
            run.save(update_fields=["message"])
            theirs, reads, unreadable = _qbo_side(client, ledger, period)
            sync_run_progress(run, processed=len(theirs))
            compared = _Comparison(ledger, _our_side(ledger, period, connection), theirs)
            reconciliation.reads += reads
            reconciliation.summary.append(compared.summary())
            reconciliation.differences += [*unreadable, *compared.differences()]
        reconciliation.save()
        differing = len(reconciliation.differences)
        run.message = (
            f"{counted(differing, 'document')} "
            f"{'differs or is' if differing == 1 else 'differ or are'} on one side only."
            if differing
            else "Every document matches."
        )
    return reconciliation


def _qbo_side(
    client: QboClient, ledger: Ledger, period: tuple[date, date]
) -> tuple[dict[str, dict], int, list[dict]]:
    """QBO's documents of the period by Id, the reads it took, and rows it could not read."""
    fields = ["Id", "TxnDate", "TotalAmt"] + (["DocNumber"] if ledger.adapter.ledger.number else [])
    start, end = (quote(day) for day in period)
    # QBO may answer the named fields or whole objects (sources disagree; sandbox README,
    # "Reconciliation"): only these are read. The entity comes from an adapter, dates are quoted.
    statement = (
        f"SELECT {', '.join(fields)} FROM {ledger.entity} "  # noqa: S608
        f"WHERE TxnDate >= {start} AND TxnDate <= {end}"
    )
    rows = [row for page in client.query_pages(statement, page_size=PAGE_SIZE) for row in page]
    # query_pages asks until a page comes back short: one read more than the full pages.
    reads = len(rows) // PAGE_SIZE + 1
    theirs, unreadable = {}, []
    for row in rows:
        if problem := object_problem(row):
            unreadable.append(
                _difference(
                    ledger,
                    status="Unreadable",
                    label=f"{ledger.entity} row from QuickBooks",
                    what=[f"Look for it in QuickBooks: its row could not be read ({problem})."],
                )
            )
        else:
            theirs[str(row["Id"]).strip()] = row  # a row met on two pages counts once
    return theirs, reads, unreadable


def _our_side(ledger: Ledger, period: tuple[date, date], connection: QboConnection) -> list[dict]:
    """Our documents of the period that belong in QBO: pk, qbo_id, date, total, and the number
    when QBO holds ours (a company numbering its own sales forms has other numbers)."""
    fields = ledger.adapter.ledger
    compare_numbers = fields.number and ledger.adapter.sends_doc_number(connection)
    records = ledger.adapter.in_books(
        ledger.model._default_manager.filter(**{f"{fields.date}__range": period})
    )
    columns = ["pk", "qbo_id", fields.date, fields.total] + (
        [fields.number] if fields.number else []
    )
    return [
        {
            "pk": row["pk"],
            "qbo_id": row["qbo_id"],
            "date": row[fields.date].isoformat(),
            "total": row[fields.total],
            "number": row[fields.number] if compare_numbers else "",
        }
        for row in records.values(*columns)
    ]


class _Comparison:
    """Our side and QBO's of one document type: the summary line and the differences."""

    def __init__(self, ledger: Ledger, ours: list[dict], theirs: dict[str, dict]):
        self.ledger, self.ours, self.theirs = ledger, ours, theirs
        self._found = [
            (record, theirs[record["qbo_id"]]) for record in ours if record["qbo_id"] in theirs
        ]
        self._differing = {
            record["pk"]: [MAKE_THEM_AGREE, *words]
            for record, row in self._found
            if (words := _what_differs(record, row))
        }

    def summary(self) -> dict:
        here_total = sum((record["total"] for record in self.ours), Decimal(0))
        qbo_total = sum(
            (_money(row.get("TotalAmt")) or 0 for row in self.theirs.values()), Decimal(0)
        )
        matched = len(self._found) - len(self._differing)
        return {
            "entity": self.ledger.entity,
            "label": self.ledger.label,
            "here_label": self.ledger.adapter.ledger.here
            or str(self.ledger.model._meta.verbose_name_plural),
            "here_count": len(self.ours),
            "here_total": str(here_total.quantize(CENT)),
            "qbo_count": len(self.theirs),
            "qbo_total": str(qbo_total.quantize(CENT)),
            "difference": str((qbo_total - here_total).quantize(CENT)),
            "matched": matched,
            "all_matched": matched == len(self.ours) == len(self.theirs),
        }

    def differences(self) -> list[dict]:
        ours_by_qbo_id = {record["qbo_id"]: record for record in self.ours if record["qbo_id"]}
        only_here = [record for record in self.ours if record["qbo_id"] not in self.theirs]
        only_theirs = [row for qbo_id, row in self.theirs.items() if qbo_id not in ours_by_qbo_id]
        records = self.ledger.model._default_manager.in_bulk(
            [*self._differing, *(record["pk"] for record in only_here)]
        )
        jobs = self._jobs_of([record["pk"] for record in only_here])
        elsewhere = self._records_dated_elsewhere([str(row["Id"]).strip() for row in only_theirs])
        found = [
            self._here(
                records[record["pk"]], row, status="Differs", what=self._differing[record["pk"]]
            )
            for record, row in self._found
            if record["pk"] in self._differing
        ]
        missing = [
            self._here(
                records[record["pk"]],
                None,
                status="Not in QuickBooks",
                what=[_why_not_in_qbo(record, jobs.get(str(record["pk"])))],
            )
            for record in only_here
        ]
        extra = [self._theirs_only(row, elsewhere) for row in only_theirs]
        return [*found, *missing, *extra]

    def _here(self, record, row: dict | None, *, status: str, what: list[str]) -> dict:
        return _difference(
            self.ledger,
            status=status,
            label=self.ledger.adapter.label(record),
            what=what,
            record_pk=record.pk,
            qbo_id=record.qbo_id,
            here_total=getattr(record, self.ledger.adapter.ledger.total),
            qbo_total=_money(row.get("TotalAmt")) if row else None,
        )

    def _theirs_only(self, row: dict, elsewhere: dict[str, "_Elsewhere"]) -> dict:
        qbo_id = str(row["Id"]).strip()
        record, in_books, job = elsewhere.get(qbo_id, _Elsewhere())
        fields = self.ledger.adapter.ledger
        if in_books:
            status = "Differs"  # dated in this period there, in another here
            what = [
                MAKE_THEM_AGREE,
                _differs_in_words("Date", row.get("TxnDate"), getattr(record, fields.date)),
            ]
        else:
            status, what = "Only in QuickBooks", [_why_only_in_qbo(record, job)]
        number = row.get("DocNumber")
        named = f"{self.ledger.entity} {clip(str(number), 40) if number else qbo_id}"
        return _difference(
            self.ledger,
            status=status,
            label=self.ledger.adapter.label(record) if record else (job.label if job else named),
            what=what,
            record_pk=record.pk if record else None,
            qbo_id=qbo_id,
            here_total=getattr(record, fields.total) if record else None,
            qbo_total=_money(row.get("TotalAmt")),
        )

    def _jobs_of(self, pks: list) -> dict[str, SyncJob]:
        content_type = ContentType.objects.get_for_model(self.ledger.model)
        jobs = SyncJob.objects.filter(
            content_type=content_type, object_id__in=[str(pk) for pk in pks]
        )
        return {job.object_id: job for job in jobs}

    def _records_dated_elsewhere(self, qbo_ids: list[str]) -> dict[str, "_Elsewhere"]:
        """For QBO's documents we did not list: the record here (of another date, or no longer
        meant for QBO), else the job of a record deleted here."""
        here = self.ledger.model._default_manager.filter(qbo_id__in=qbo_ids)
        records = {record.qbo_id: record for record in here}
        in_books = set(self.ledger.adapter.in_books(here).values_list("qbo_id", flat=True))
        jobs = {
            job.qbo_id: job
            for job in SyncJob.objects.filter(qbo_entity=self.ledger.entity, qbo_id__in=qbo_ids)
        }
        return {
            qbo_id: _Elsewhere(records.get(qbo_id), qbo_id in in_books, jobs.get(qbo_id))
            for qbo_id in qbo_ids
        }


class _Elsewhere(NamedTuple):
    """What we know of a QBO document that is not among ours for the period."""

    record: models.Model | None = None
    in_books: bool = False  # the record here belongs in QBO: it is dated in another period
    job: SyncJob | None = None


def _what_differs(record: dict, row: dict) -> list[str]:
    """What differs between a document here and in QBO, in words; empty when they agree."""
    words = []
    theirs_total = _money(row.get("TotalAmt"))
    if theirs_total != record["total"]:
        shown = f"{theirs_total:,.2f}" if theirs_total is not None else "unreadable"
        words.append(_differs_in_words("Total", shown, f"{record['total']:,.2f}"))
    if str(row.get("TxnDate", "")) != record["date"]:
        words.append(_differs_in_words("Date", row.get("TxnDate"), record["date"]))
    if record["number"] and str(row.get("DocNumber", "")) != record["number"]:
        words.append(_differs_in_words("Number", row.get("DocNumber", "empty"), record["number"]))
    return words


def _differs_in_words(field: str, theirs, ours) -> str:
    """ "Date is 2026-10-31 in QuickBooks, 2026-11-01 here"."""
    return f"{field} is {clip(str(theirs), 40)} in QuickBooks, {ours} here"


def _why_not_in_qbo(record: dict, job: SyncJob | None) -> str:
    """What to do about a document here that QBO did not list for the period."""
    if record["qbo_id"]:
        if job is not None and job.remote_change.startswith("Deleted"):
            return (
                "Save it here to send it again, or delete it here too: it was deleted in "
                "QuickBooks."
            )
        return (
            "Open it in QuickBooks to see what changed: QuickBooks did not list it for this "
            "period, so its date there is outside it, or it was deleted there."
        )
    if job is None:
        return (
            "Select it in its list and run “Sync to QuickBooks”: it was saved before QuickBooks "
            "was connected, so it was never sent."
        )
    if job.status == SyncJob.Status.PAUSED:
        return "Reconnect to QuickBooks: its push waits until then."
    if job.status == SyncJob.Status.FAILED:
        return job.last_error
    return job.last_error or "Nothing to do: it is on its way to QuickBooks."


def _why_only_in_qbo(record, job: SyncJob | None) -> str:
    """What to do about a document QBO listed for the period that is not ours to list."""
    if record is None and job is None:
        return (
            "Record it here if it belongs in Distru, or leave it: it was made in QuickBooks, "
            "not sent from here."
        )
    # Deleted here, or here but no longer meant for QBO (an order taken out of Completed).
    if job is not None and job.status == SyncJob.Status.FAILED:
        return job.last_error
    if record is None and job is not None and job.status == SyncJob.Status.SUCCEEDED:
        return "Nothing to do: it was deleted here, and QuickBooks keeps it voided."
    return (
        "Nothing to do: it is no longer meant for QuickBooks, and its delete there is on its way."
    )


def _difference(
    ledger: Ledger,
    *,
    status: str,
    label: str,
    what: list[str],
    record_pk=None,
    qbo_id: str = "",
    here_total: Decimal | None = None,
    qbo_total: Decimal | None = None,
) -> dict:
    opts = ledger.model._meta
    return {
        "entity": ledger.entity,
        "status": status,
        "label": label,
        "what": what,
        "here_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record_pk])
        if record_pk is not None
        else "",
        "qbo_url": qbo_app_url(ledger.entity, qbo_id) or "",
        "qbo_id": qbo_id,
        "here_total": "" if here_total is None else str(here_total),
        "qbo_total": "" if qbo_total is None else str(qbo_total.quantize(CENT)),
    }


def _money(value) -> Decimal | None:
    """QBO's TotalAmt as a Decimal, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None
