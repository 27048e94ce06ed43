"""The sync history in the admin: every sync run and every push attempt, read-only.

Nothing here is edited or deleted by hand: QBO_HISTORY_DAYS alone prunes it.
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from integrations.models import PushAttempt, SyncRun
from integrations.permissions import ReadOnlyAdminMixin


class HistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for everyone: a history is kept as it happened."""

    list_per_page = 50
    # A COUNT of the whole history on every page is not worth it once it holds a season.
    show_full_result_count = False


@admin.register(SyncRun)
class SyncRunAdmin(HistoryAdmin):
    list_display = ["started_at", "kind", "trigger", "status", "counts", "message"]
    list_filter = ["kind", "status", "trigger", ("started_at", admin.DateFieldListFilter)]
    search_fields = ["message"]
    fields = [
        "kind",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "processed",
        "created",
        "updated",
        "removed",
        "message",
        "log",
    ]
    readonly_fields = fields

    @admin.display(description="Processed · new · updated · removed")
    def counts(self, run):
        return f"{run.processed} · {run.created} · {run.updated} · {run.removed}"

    @admin.display(description="Log")
    def log(self, run):
        if not run.details:
            return "Nothing was noted."
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((n["text"],) for n in run.details))
        )


@admin.register(PushAttempt)
class PushAttemptAdmin(HistoryAdmin):
    list_display = ["started_at", "label", "qbo_entity", "action", "outcome", "error_code"]
    list_filter = [
        "outcome",
        "qbo_entity",
        "action",
        ("started_at", admin.DateFieldListFilter),
    ]
    search_fields = ["label", "request_id", "intuit_tid", "error_code", "message"]
    fields = [
        "record_link",
        "qbo_entity",
        "action",
        "outcome",
        "started_at",
        "finished_at",
        "error_code",
        "message",
        "request_id",
        "intuit_tid",
    ]
    readonly_fields = fields

    @admin.display(description="Record")
    def record_link(self, attempt):
        model = attempt.content_type.model_class()
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[attempt.object_id],
            )
        except (AttributeError, NoReverseMatch):
            return attempt.label
        return format_html('<a href="{}">{}</a>', url, attempt.label)
