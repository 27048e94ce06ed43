"""Settings → Integrations: the QuickBooks Online card, connect/callback, key accounts; and
the endpoint QuickBooks' webhooks call."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from distru_qbo.words import counted
from integrations.company_prefs import company_settings, outside_us
from integrations.forms import (
    BackfillForm,
    KeyAccountsForm,
    OutboxRetryForm,
    ReconciliationMonthForm,
)
from integrations.models import (
    QboAccount,
    QboClass,
    QboConnection,
    QboItem,
    QboWebhookEvent,
    SyncJob,
    SyncRun,
)
from integrations.outbox.jobs import outbox_counts, outbox_summary, sync_jobs_retry
from integrations.permissions import can_manage_integration, require_manage_integration
from integrations.qbo.errors import OAuthError, QboError
from integrations.services import connection as conn_services
from integrations.services.backfill import (
    BackfillError,
    backfill_current,
    backfill_progress,
    backfill_resume,
    backfill_start,
    backfill_stop,
    duration_words,
)
from integrations.services.key_accounts import (
    KEY_ACCOUNT_SLOTS,
    key_account_conflicts,
    key_accounts_set,
)
from integrations.services.reconciliation import (
    reconciliation_latest,
    reconciliation_queue,
    reconciliation_stalled,
)
from integrations.services.runs import sync_run_queue
from integrations.services.webhooks import (
    WEBHOOK_MAX_BODY_BYTES,
    WebhookPayloadError,
    webhook_events_store,
    webhook_signature_valid,
)

logger = logging.getLogger(__name__)
# The runs that bring in the chart of accounts, shown on the key accounts page.
ACCOUNT_RUN_KINDS = [SyncRun.Kind.CONNECT, SyncRun.Kind.ACCOUNTS]
RELOAD_FOR_AT_MOST = timedelta(minutes=5)


def _require_manage(request) -> None:
    require_manage_integration(request.user)


def _context(request, **extra):
    connection = conn_services.connection_get()
    return {
        # The admin's own context (site header, nav) so these pages sit inside the admin.
        **admin.site.each_context(request),
        "connection": connection,
        "can_manage": can_manage_integration(request.user),
        "title": "QuickBooks Online",
        **extra,
    }


@staff_member_required
@require_GET
def integrations_panel(request):
    counts = outbox_counts()
    # What needs someone: shown beside the connection's own state, each linked to the list.
    push_problems = [
        (f"{counted(n, 'push', 'pushes')} {what}", pill)
        for n, what, pill in (
            (counts[SyncJob.Status.FAILED], "failed", "status-failed"),
            (counts[SyncJob.Status.PAUSED], "paused until you reconnect", "status-expired"),
            (counts["changed_in_qbo"], "changed in QuickBooks", "status-expired"),
        )
        if n
    ]
    return render(
        request,
        "integrations/panel.html",
        _context(
            request,
            title="Integrations",
            push_problems=push_problems,
        ),
    )


@staff_member_required
@require_GET
def quickbooks_detail(request):
    connection = conn_services.connection_get()
    runs = SyncRun.objects.all()[:10]
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).order_by("-started_at").first()
    return render(
        request,
        "integrations/quickbooks.html",
        _context(
            request,
            runs=runs,
            running=running,
            conflicts=key_account_conflicts(connection),
            company_settings=company_settings(connection),
            outside_us=outside_us(connection),
            key_accounts=[(slot, getattr(connection, slot.field)) for slot in KEY_ACCOUNT_SLOTS],
            mirror_counts={
                "accounts": QboAccount.objects.count(),
                "classes": QboClass.objects.count(),
                "items": QboItem.objects.count(),
            },
            outbox=outbox_summary(),
            **_backfill_context(request, connection),
            webhooks={
                "configured": bool(settings.QBO_WEBHOOK_VERIFIER_TOKEN),
                "endpoint": settings.DISTRU_BASE_URL + reverse("quickbooks_webhook"),
                "last_event": QboWebhookEvent.objects.first(),
                "last_catch_up": SyncRun.objects.filter(
                    kind__in=[SyncRun.Kind.CHANGES, SyncRun.Kind.ITEMS_FULL],
                    trigger=SyncRun.Trigger.HOURLY,
                ).first(),
            },
        ),
    )


def _backfill_context(request, connection: QboConnection):
    """The backfill card: the latest backfill's progress, and the form to start one."""
    current = backfill_current()
    progress = backfill_progress(current) if current is not None else None
    finished = progress is None or progress.finished
    return {
        "backfill": progress,
        "backfill_form": BackfillForm(),
        "backfill_remaining": duration_words(progress.remaining)
        if progress and progress.remaining
        else "",
        "backfill_can_start": can_manage_integration(request.user)
        and finished
        and connection.status == QboConnection.Status.CONNECTED,
        # The page fetches itself again while documents are still on their way.
        "backfill_polling": progress is not None and not finished,
    }


@staff_member_required
@require_POST
def backfill(request):
    """Start a backfill from the date chosen, or stop or resume the latest one."""
    _require_manage(request)
    current = backfill_current()
    if "stop" in request.POST and current is not None:
        held = backfill_stop(backfill=current)
        messages.success(
            request,
            f"Backfill stopped: {held} document(s) held, none lost. Resume it to send them.",
        )
    elif "resume" in request.POST and current is not None:
        released = backfill_resume(backfill=current)
        messages.success(request, f"Backfill resumed: {released} document(s) are on their way.")
    else:
        _backfill_start(request)
    return redirect(f"{reverse('integrations:quickbooks')}#backfill")


def _backfill_start(request) -> None:
    form = BackfillForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["since"][0])
        return
    since = form.cleaned_data["since"]
    try:
        started = backfill_start(since=since, user=request.user)
    except BackfillError as exc:
        messages.error(request, str(exc))
        return
    if started is None:
        messages.info(
            request,
            f"Nothing to send: QuickBooks has, or is already being sent, every document dated on "
            f"or after {since:%Y-%m-%d}.",
        )
        return
    queued = ", ".join(f"{n} {entity}" for entity, n in started.queued.items())
    messages.success(request, f"Backfill started: {queued} on their way to QuickBooks.")


@staff_member_required
@require_POST
def outbox_retry(request):
    _require_manage(request)
    form = OutboxRetryForm(request.POST)
    if not form.is_valid():
        # Only a stale page or a crafted request names a job that is not in the outbox; an
        # unreadable id must never fall back to retrying everything.
        return HttpResponseBadRequest(
            "Reload the QuickBooks page and press Retry again: that push is not in the outbox."
        )
    job = form.cleaned_data["job"]
    retried = sync_jobs_retry(job_ids=[job.pk] if job else None)
    messages.success(request, f"{counted(retried, 'failed push', 'failed pushes')} queued again.")
    return redirect(f"{reverse('integrations:quickbooks')}#outbox")


@staff_member_required
@require_POST
def quickbooks_connect(request):
    _require_manage(request)
    return redirect(conn_services.oauth_start(session=request.session))


@staff_member_required
@require_GET
def quickbooks_callback(request):
    _require_manage(request)
    detail_url = reverse("integrations:quickbooks")
    try:
        conn_services.oauth_check_state(session=request.session, state=request.GET.get("state"))
    except conn_services.OAuthStateError as exc:
        messages.error(request, str(exc))
        return redirect(detail_url)
    if error := request.GET.get("error"):
        if error == "access_denied":
            messages.warning(request, "QuickBooks was not connected: access was not granted.")
        else:
            messages.error(request, f"QuickBooks reported an error while connecting: {error}.")
        return redirect(detail_url)
    code, realm_id = request.GET.get("code"), request.GET.get("realmId")
    if not code or not realm_id:
        messages.error(request, "QuickBooks sent an incomplete answer. Please connect again.")
        return redirect(detail_url)
    try:
        # Inline, each bounded by QBO_REQUEST_DEADLINE: the exchange and one CompanyInfo read.
        conn_services.connection_connect(code=code, realm_id=realm_id)
    except (
        OAuthError,
        QboError,
        conn_services.QboCompanyMismatchError,
        conn_services.QboConnectError,
    ) as exc:
        logger.warning("Connecting to QuickBooks failed: %s", exc)
        messages.error(request, f"Connecting to QuickBooks failed: {exc}")
        return redirect(detail_url)
    sync_run_queue(
        SyncRun.Kind.CONNECT,
        "integrations.tasks.company_import_task",
        trigger=SyncRun.Trigger.CONNECT,
        task_name="qbo-company-import",
    )
    messages.success(
        request,
        "Connected to QuickBooks. Your accounts, classes and items are being imported in the "
        "background; choose the key accounts once the accounts are in.",
    )
    return redirect("integrations:key_accounts")


@staff_member_required
@require_POST
def quickbooks_sync(request):
    _require_manage(request)
    async_task(
        "integrations.tasks.changes_sync_task",
        trigger=SyncRun.Trigger.SYNC_NOW,
        task_name="qbo-changes-sync-now",
    )
    messages.success(
        request,
        "Sync started: changes made in QuickBooks arrive shortly, and documents edited there "
        "are flagged.",
    )
    return redirect("integrations:quickbooks")


@csrf_exempt  # Intuit signs the body instead; no browser session is involved
@require_POST
def quickbooks_webhook(request):
    """QuickBooks' webhook notifications: verified, kept and answered at once (Intuit waits
    3 s); a worker then reads what changed. No login: the signature is the credential."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    # Read here rather than through request.body, whose own limit (2.5 MB) is not ours.
    body = b"" if announced > WEBHOOK_MAX_BODY_BYTES else request.read(WEBHOOK_MAX_BODY_BYTES + 1)
    if announced > WEBHOOK_MAX_BODY_BYTES or len(body) > WEBHOOK_MAX_BODY_BYTES:
        logger.warning("Refused a QuickBooks webhook of more than %d bytes", WEBHOOK_MAX_BODY_BYTES)
        return HttpResponse(status=413)
    if not webhook_signature_valid(body=body, signature=request.headers.get("intuit-signature")):
        logger.warning(
            "Refused a QuickBooks webhook: %s",
            "its intuit-signature does not match its body"
            if settings.QBO_WEBHOOK_VERIFIER_TOKEN
            else "QBO_WEBHOOK_VERIFIER_TOKEN is not set",
        )
        return HttpResponse(status=401)
    try:
        webhook_events_store(body=body)
    except WebhookPayloadError as exc:
        # Signed, so Intuit's: a refusal would only make it send the same body again, and hold
        # back the notifications after it. The hourly catch-up brings whatever it was about.
        logger.warning("A signed QuickBooks webhook could not be read: %s", exc)
    return HttpResponse(status=200)


@staff_member_required
@require_POST
def quickbooks_disconnect(request):
    _require_manage(request)
    conn_services.connection_disconnect()
    messages.success(request, "Disconnected from QuickBooks. The tokens were revoked and wiped.")
    return redirect("integrations:quickbooks")


@staff_member_required
def key_accounts(request):
    connection = conn_services.connection_get()
    if request.method == "POST":
        _require_manage(request)
        if "refresh" in request.POST:
            if connection.status == QboConnection.Status.CONNECTED:
                sync_run_queue(
                    SyncRun.Kind.ACCOUNTS,
                    "integrations.tasks.company_mirror_refresh_task",
                    trigger=SyncRun.Trigger.REFRESH_ACCOUNTS,
                    task_name="qbo-accounts-refresh",
                )
                messages.success(
                    request, "Refreshing the accounts from QuickBooks: this page shows how it goes."
                )
            else:
                messages.error(request, "Reconnect to QuickBooks first, then refresh the accounts.")
            return redirect("integrations:key_accounts")
        form = KeyAccountsForm(request.POST)
        if form.is_valid():
            changed = key_accounts_set(connection=connection, accounts=form.cleaned_data)
            if not changed:
                messages.info(request, "Nothing changed: the key accounts are as they were.")
                return redirect("integrations:quickbooks")
            transaction.on_commit(
                lambda: async_task(
                    "integrations.tasks.default_items_ensure_task", task_name="qbo-default-items"
                )
            )
            labels = ", ".join(slot.label for slot in changed)
            messages.success(request, f"Key accounts saved. Changed: {labels}.")
            return redirect("integrations:quickbooks")
    else:
        form = KeyAccountsForm(
            initial={
                slot.field: getattr(connection, f"{slot.field}_id") for slot in KEY_ACCOUNT_SLOTS
            }
        )
    if not can_manage_integration(request.user):
        for field in form.fields.values():
            field.disabled = True
    accounts_run = SyncRun.objects.filter(kind__in=ACCOUNT_RUN_KINDS).first()
    return render(
        request,
        "integrations/key_accounts.html",
        _context(
            request,
            form=form,
            title="Key accounts",
            accounts_run=accounts_run,
            # Reload while the chart comes in; a run this old died with its worker.
            reload_while_running=accounts_run is not None
            and accounts_run.status == SyncRun.Status.RUNNING
            and accounts_run.started_at > timezone.now() - RELOAD_FOR_AT_MOST,
        ),
    )


@staff_member_required
def reconciliation(request):
    """A month's documents here and in QuickBooks side by side; managers start a comparison."""
    form = ReconciliationMonthForm(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST":
        _require_manage(request)
        if form.is_valid():
            _reconciliation_start(request, form)
        else:
            messages.error(request, form.errors["month"][0])
        return redirect(_reconciliation_url(form))
    if not form.is_valid():
        if request.GET.get("month"):
            messages.error(request, form.errors["month"][0])
        # No month asked for, or one that is not a month: this month.
        form = ReconciliationMonthForm({"month": f"{timezone.localdate():%Y-%m}"})
        form.is_valid()
    period_start, period_end = form.period()
    latest = reconciliation_latest(period_start=period_start, period_end=period_end)
    stalled = latest is not None and reconciliation_stalled(latest)
    return render(
        request,
        "integrations/reconciliation.html",
        _context(
            request,
            title="Reconciliation with QuickBooks",
            form=form,
            month=f"{period_start:%Y-%m}",
            period_start=period_start,
            period_end=period_end,
            reconciliation=latest,
            reload_while_running=latest is not None
            and latest.run.status == SyncRun.Status.RUNNING
            and not stalled,
            stalled=stalled,
        ),
    )


def _reconciliation_start(request, form: ReconciliationMonthForm) -> None:
    if conn_services.connection_get().status != QboConnection.Status.CONNECTED:
        messages.error(request, "Connect or reconnect to QuickBooks first, then compare the month.")
        return
    period_start, period_end = form.period()
    reconciliation_queue(period_start=period_start, period_end=period_end)
    messages.success(
        request,
        f"Comparing {period_start:%B %Y} with QuickBooks: this page shows how it goes.",
    )


def _reconciliation_url(form: ReconciliationMonthForm) -> str:
    url = reverse("integrations:reconciliation")
    return f"{url}?month={form.cleaned_data['month']:%Y-%m}" if form.is_valid() else url
