"""What every synced model's admin shows of QuickBooks: a status column, a section, an action."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timezone import localtime

from integrations.models import PushAttempt, SyncJob
from integrations.outbox.jobs import sync_job_record
from integrations.outbox.registry import sync_adapter_for
from integrations.selectors import sync_job_for, with_sync_status
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
BADGE_COLOURS = {
    SyncJob.Status.SUCCEEDED: ("#166534", "#DCFCE7"),
    SyncJob.Status.PENDING: ("#1E40AF", "#DBEAFE"),
    SyncJob.Status.RUNNING: ("#1E40AF", "#DBEAFE"),
    SyncJob.Status.FAILED: ("#991B1B", "#FEE2E2"),
    SyncJob.Status.PAUSED: ("#92400E", "#FEF3C7"),
}


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


def status_badge(status: str | None, remote_change: str = "") -> str:
    """A coloured pill: Synced, Pending, Failed, Paused, or Not synced."""
    if remote_change:
        return format_html(
            '<span style="color:#92400E;background:#FEF3C7;padding:1px 8px;border-radius:8px">'
            "{}</span>",
            "Changed in QuickBooks",
        )
    if not status:
        return format_html('<span style="color:#6B7280">{}</span>', "Not synced")
    colour, background = BADGE_COLOURS[status]
    return format_html(
        '<span style="color:{};background:{};padding:1px 8px;border-radius:8px">{}</span>',
        colour,
        background,
        SyncJob.Status(status).label,
    )


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
        return [*super().get_list_display(request), "qbo_status"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "qbo_sync_details"]

    @admin.display(description="QuickBooks", ordering="qbo_sync_status")
    def qbo_status(self, obj):
        return status_badge(obj.qbo_sync_status, obj.qbo_remote_change or "")

    @admin.display(description="QuickBooks sync")
    def qbo_sync_details(self, obj):
        job = sync_job_for(obj) if obj and obj.pk else None
        if job is None:
            return (
                "Not synced. Records saved before QuickBooks was connected are sent once "
                "they are saved again, or with the “Sync to QuickBooks” action."
            )
        rows = [("Status", status_badge(job.status))]
        if job.last_error:
            rows.append(("Last error", job.last_error))
        if job.warning:
            rows.append(("Warning", job.warning))
        if job.remote_change:
            rows.append(
                (
                    "In QuickBooks",
                    f"{job.remote_change}. Nothing here was changed: choose “Overwrite "
                    "QuickBooks with ours” or “Keep QuickBooks' version” at the top of this page.",
                )
            )
        rows.append(("Attempts", push_attempts_of(obj)))
        if url := qbo_app_url(job.qbo_entity, obj.qbo_id or job.qbo_id):
            rows.append(
                (
                    "Open",
                    format_html(
                        '<a href="{}" target="_blank" rel="noopener">{} {} in QuickBooks</a>',
                        url,
                        job.qbo_entity,
                        obj.qbo_id or job.qbo_id,
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
            f"{len(queued)} record(s) queued for QuickBooks as {entity}; "
            "they appear there within seconds.",
            messages.SUCCESS,
        )
