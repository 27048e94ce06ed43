"""What every synced model's admin shows of QuickBooks: a status column, a section, an action."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timezone import localtime

from distru_qbo.words import counted
from integrations.models import PushAttempt, SyncJob
from integrations.outbox.errors import error_parts
from integrations.outbox.jobs import sync_job_record
from integrations.outbox.registry import sync_adapter_for
from integrations.selectors import QuickBooksState, sync_job_for, with_sync_status
from integrations.services.remote_changes import remote_change_keep, remote_change_overwrite

# Where QBO's own screens show each entity (the local sandbox answers the same paths).
QBO_APP_PATHS = {
    "Invoice": "invoice?txnId={}",
    "Payment": "recvpayment?txnId={}",
    "Bill": "bill?txnId={}",
    "BillPayment": "billpayment?txnId={}",
    "CreditMemo": "creditmemo?txnId={}",
    "VendorCredit": "vendorcredit?txnId={}",
    "Customer": "customerdetail?nameId={}",
    "Vendor": "vendordetail?nameId={}",
    "Item": "items?itemId={}",
}
ATTEMPTS_SHOWN = 5
# (text, background) of each state's pill; a state not listed is shown as plain grey text.
BADGE_COLOURS = {
    QuickBooksState.SYNCED: ("#166534", "#DCFCE7"),
    QuickBooksState.PENDING: ("#1E40AF", "#DBEAFE"),
    QuickBooksState.FAILED: ("#991B1B", "#FEE2E2"),
    QuickBooksState.PAUSED: ("#92400E", "#FEF3C7"),
    QuickBooksState.CHANGED: ("#92400E", "#FEF3C7"),
}
# Where a badge says more than the filter's one word.
BADGE_LABELS = {QuickBooksState.PAUSED: "Paused (reconnect to QuickBooks)"}
NOT_SENT_NOTE = (
    "Records saved before QuickBooks was connected are sent once they are saved again, with "
    "the “Sync to QuickBooks” action, or by a backfill from the QuickBooks page."
)


def _overwrite(record) -> tuple[int, str]:
    if remote_change_overwrite(record=record) is None:
        return messages.ERROR, "Reconnect to QuickBooks first, then overwrite: nothing was sent."
    return (
        messages.SUCCESS,
        "Our version is on its way to QuickBooks; the flag clears once QuickBooks holds it.",
    )


def _keep(record) -> tuple[int, str]:
    remote_change_keep(record=record)
    return (
        messages.SUCCESS,
        "QuickBooks' version is kept, and nothing was sent. Saving the record here sends ours "
        "again.",
    )


REMOTE_CHANGE_CHOICES = {"overwrite": _overwrite, "keep": _keep}


def qbo_app_url(entity: str, qbo_id: str) -> str | None:
    """A link to the record in QuickBooks' own screens."""
    path = QBO_APP_PATHS.get(entity)
    return f"{settings.QBO_APP_BASE_URL}/{path.format(qbo_id)}" if path and qbo_id else None


def push_attempts_of(record) -> str:
    """A record's latest push attempts, newest first, and a link to all of them."""
    content_type = ContentType.objects.get_for_model(record)
    shown = list(
        PushAttempt.objects.filter(content_type=content_type, object_id=str(record.pk))[
            :ATTEMPTS_SHOWN
        ]
    )
    if not shown:
        return "None yet."
    query = urlencode({"content_type": content_type.pk, "object_id": record.pk})
    return format_html(
        '<ul class="push-attempts">{}</ul><a href="{}?{}">All attempts</a>',
        format_html_join(
            "",
            "<li>{} · {}{}</li>",
            (
                (
                    f"{localtime(attempt.started_at):%Y-%m-%d %H:%M}",
                    attempt.get_outcome_display(),
                    f" ({attempt.error_code})" if attempt.error_code else "",
                )
                for attempt in shown
            ),
        ),
        reverse("admin:integrations_pushattempt_changelist"),
        query,
    )


def record_admin_url(job: SyncJob) -> str | None:
    """The admin change page of a job's record; None once the record is deleted here."""
    if job.action == SyncJob.Action.DELETE:
        return None
    content_type = ContentType.objects.get_for_id(job.content_type_id)  # cached per process
    try:
        return reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change", args=[job.object_id]
        )
    except NoReverseMatch:
        return None


def status_badge(state: str, label: str) -> str:
    """A coloured pill for a QuickBooksState, reading `label`."""
    if state not in BADGE_COLOURS:
        return format_html('<span style="color:#6B7280;white-space:nowrap">{}</span>', label)
    colour, background = BADGE_COLOURS[state]
    return format_html(
        '<span style="color:{};background:{};padding:1px 8px;border-radius:8px;'
        'white-space:nowrap">{}</span>',
        colour,
        background,
        label,
    )


class QuickBooksStatusFilter(admin.SimpleListFilter):
    """Every synced list, filtered by where its records stand with QuickBooks."""

    title = "QuickBooks status"
    parameter_name = "qbo_status"

    def lookups(self, request, model_admin):
        return QuickBooksState.choices

    def queryset(self, request, queryset):
        if self.value() in QuickBooksState.values:
            return queryset.filter(qbo_state=self.value())
        return queryset


class QboSyncedAdminMixin:
    """Mix into a synced model's ModelAdmin (before admin.ModelAdmin)."""

    actions = ["sync_to_quickbooks"]
    # Adds "Overwrite QuickBooks with ours" and "Keep QuickBooks' version" to a record changed
    # in QuickBooks, for those who may change it.
    change_form_template = "admin/qbo_synced_change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/quickbooks/<str:choice>/",
                self.admin_site.admin_view(self.qbo_remote_change_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_qbo_remote_change",
            ),
            *super().get_urls(),
        ]

    def qbo_remote_change_view(self, request, object_id, choice):
        """Settle an edit made in QuickBooks: send ours over it, or keep theirs."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if choice not in REMOTE_CHANGE_CHOICES:
            raise Http404
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        level, message = REMOTE_CHANGE_CHOICES[choice](record)
        self.message_user(request, message, level)
        return redirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(record.pk)],
                current_app=self.admin_site.name,
            )
        )

    def get_queryset(self, request):
        return with_sync_status(super().get_queryset(request))

    def get_list_display(self, request):
        # Second, beside what names the record: a wide list must not push it out of sight.
        first, *rest = super().get_list_display(request)
        return [first, "qbo_status", *rest]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), QuickBooksStatusFilter]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "qbo_sync_details"]

    def qbo_state_label(self, obj) -> str:
        """What the record's QuickBooks status says; admins override it where a state means
        something more precise for their records."""
        state = obj.qbo_state
        return BADGE_LABELS.get(state, QuickBooksState(state).label)

    @admin.display(description="QuickBooks", ordering="qbo_state")
    def qbo_status(self, obj):
        return status_badge(obj.qbo_state, self.qbo_state_label(obj))

    @admin.display(description="QuickBooks sync")
    def qbo_sync_details(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        job = sync_job_for(obj)
        label = self.qbo_state_label(obj)
        rows = [("Status", status_badge(obj.qbo_state, label))]
        if job is None and label == QuickBooksState.NOT_SENT.label:
            rows.append(("Why", NOT_SENT_NOTE))
        if job is not None and job.last_error:
            # A template's output is safe: format_html_join keeps its markup.
            error = render_to_string(
                "integrations/_error.html", {"parts": error_parts(job.last_error)}
            )
            rows.append(("Last error", error))
        if job is not None and job.warning:
            rows.append(("Warning", job.warning))
        if job is not None and job.remote_change:
            rows.append(
                (
                    "Since our push",
                    f"{job.remote_change}. Nothing here was changed: choose “Overwrite "
                    "QuickBooks with ours” or “Keep QuickBooks' version” at the top of this page.",
                )
            )
        rows.append(("Attempts", push_attempts_of(obj)))
        qbo_id = obj.qbo_id or (job.qbo_id if job else "")
        entity = job.qbo_entity if job else sync_adapter_for(type(obj)).entity
        if url := qbo_app_url(entity, qbo_id):
            rows.append(
                (
                    "Open",
                    format_html(
                        '<a href="{}" target="_blank" rel="noopener">{} {} in QuickBooks</a>',
                        url,
                        entity,
                        qbo_id,
                    ),
                )
            )
        return format_html_join("", "<div><strong>{}:</strong> {}</div>", rows)

    @admin.action(description="Sync to QuickBooks", permissions=["change"])
    def sync_to_quickbooks(self, request, queryset):
        with transaction.atomic():
            queued = [record for record in queryset if sync_job_record(record=record)]
        if not queued:
            self.message_user(
                request, "QuickBooks is not connected: nothing was queued.", messages.ERROR
            )
            return
        entity = sync_adapter_for(queryset.model).entity
        self.message_user(
            request,
            f"{counted(len(queued), 'record')} queued for QuickBooks as {entity}; "
            f"{'it appears' if len(queued) == 1 else 'they appear'} there within seconds.",
            messages.SUCCESS,
        )
