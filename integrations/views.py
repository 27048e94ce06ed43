"""Settings → Integrations: the QuickBooks Online card, connect/callback, key accounts."""

import logging
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from integrations.forms import KeyAccountsForm, OutboxRetryForm
from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.outbox.jobs import outbox_summary, sync_jobs_retry
from integrations.permissions import can_manage_integration, require_manage_integration
from integrations.qbo.errors import OAuthError, QboError
from integrations.services import connection as conn_services
from integrations.services.key_accounts import (
    KEY_ACCOUNT_SLOTS,
    key_account_conflicts,
    key_accounts_set,
)
from integrations.services.runs import sync_run_queue

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
    return render(request, "integrations/panel.html", _context(request, title="Integrations"))


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
            key_accounts=[(slot, getattr(connection, slot.field)) for slot in KEY_ACCOUNT_SLOTS],
            mirror_counts={
                "accounts": QboAccount.objects.count(),
                "classes": QboClass.objects.count(),
                "items": QboItem.objects.count(),
            },
            outbox=outbox_summary(),
        ),
    )


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
    messages.success(request, f"{retried} failed push(es) queued again.")
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
    sync_now = SyncRun.Trigger.SYNC_NOW
    async_task("integrations.tasks.item_sync_task", trigger=sync_now, task_name="qbo-items-sync")
    async_task(
        "integrations.tasks.transactions_cdc_check_task",
        trigger=sync_now,
        task_name="qbo-transactions-check",
    )
    messages.success(
        request,
        "Item sync started: changes made in QuickBooks arrive shortly, and documents edited "
        "there are flagged.",
    )
    return redirect("integrations:quickbooks")


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
            key_accounts_set(connection=connection, accounts=form.cleaned_data)
            transaction.on_commit(
                lambda: async_task(
                    "integrations.tasks.default_items_ensure_task", task_name="qbo-default-items"
                )
            )
            messages.success(request, "Key accounts saved.")
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
