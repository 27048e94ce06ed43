"""Imports of QBO's company profile, chart of accounts and classes into the local mirror."""

import logging
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from integrations.models import QboAccount, QboClass, QboConnection, SyncRun
from integrations.qbo.client import QboClient
from integrations.services.connection import qbo_client
from integrations.services.runs import sync_run, sync_run_progress

logger = logging.getLogger(__name__)

# Accounts and classes come back inactive too: a mapped account that was inactivated in QBO
# must stay visible here, so the user is told about the conflict.
ALL_ACCOUNTS = "SELECT * FROM Account WHERE Active IN (true, false)"
ALL_CLASSES = "SELECT * FROM Class WHERE Active IN (true, false)"


def company_profile_import(*, client: QboClient) -> QboConnection:
    """Store the company name and the class-tracking preferences."""
    info = client.company_info()
    prefs = client.preferences().get("AccountingInfoPrefs", {})
    connection = QboConnection.objects.get()
    connection.company_name = info.get("CompanyName") or info.get("LegalName") or ""
    connection.class_tracking_per_txn = bool(prefs.get("ClassTrackingPerTxn"))
    connection.class_tracking_per_line = bool(prefs.get("ClassTrackingPerTxnLine"))
    connection.save(
        update_fields=[
            "company_name",
            "class_tracking_per_txn",
            "class_tracking_per_line",
            "updated_at",
        ]
    )
    return connection


def accounts_import(*, client: QboClient) -> int:
    """Mirror the whole chart of accounts, page by page; returns how many accounts QBO has."""
    seen = 0
    for page in client.query_pages(ALL_ACCOUNTS):
        rows = [_account_fields(raw) for raw in page]
        mirror_upsert(QboAccount, rows)
        seen += len(rows)
    logger.info("Imported %d QuickBooks accounts", seen)
    return seen


def classes_import(*, client: QboClient) -> int:
    """Mirror every class, then link each sub-class to its parent."""
    parents: dict[str, str] = {}
    seen = 0
    for page in client.query_pages(ALL_CLASSES):
        rows = [_class_fields(raw) for raw in page]
        mirror_upsert(QboClass, rows)
        parents.update(
            {raw["Id"]: raw["ParentRef"]["value"] for raw in page if raw.get("ParentRef")}
        )
        seen += len(rows)
    if parents:
        by_qbo_id = dict(QboClass.objects.values_list("qbo_id", "pk"))
        children = list(QboClass.objects.filter(qbo_id__in=parents))
        for child in children:
            child.parent_id = by_qbo_id.get(parents[child.qbo_id])
        QboClass.objects.bulk_update(children, ["parent"])
    logger.info("Imported %d QuickBooks classes", seen)
    return seen


def _account_fields(raw: dict) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": raw.get("Name", "")[:100],
        "fully_qualified_name": raw.get("FullyQualifiedName", raw.get("Name", ""))[:1000],
        "account_type": raw.get("AccountType", ""),
        "account_sub_type": raw.get("AccountSubType", "")[:100],
        "classification": raw.get("Classification", ""),
        "active": bool(raw.get("Active", True)),
    }


def _class_fields(raw: dict) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": raw.get("Name", "")[:100],
        "fully_qualified_name": raw.get("FullyQualifiedName", raw.get("Name", ""))[:1000],
        "active": bool(raw.get("Active", True)),
    }


@transaction.atomic
def mirror_upsert(
    model: type[models.Model], rows: Iterable[dict], create_defaults: dict | None = None
) -> None:
    """Insert or update rows keyed by qbo_id in three statements, whatever the page size."""
    rows = list(rows)
    if not rows:
        return
    ids = [row["qbo_id"] for row in rows]
    existing = {obj.qbo_id: obj for obj in model.objects.filter(qbo_id__in=ids)}
    now = timezone.now()
    to_update, to_create = [], []
    for row in rows:
        obj = existing.get(row["qbo_id"])
        if obj is None:
            to_create.append(model(**row, **(create_defaults or {})))
            continue
        for field, value in row.items():
            setattr(obj, field, value)
        obj.updated_at = now
        to_update.append(obj)
    fields = [field for field in rows[0] if field != "qbo_id"] + ["updated_at"]
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=1000)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=1000)


def company_mirror_refresh(*, kind: str = SyncRun.Kind.ACCOUNTS) -> SyncRun:
    """Re-read the company profile, preferences, accounts and classes from QBO."""
    client = qbo_client()
    with sync_run(kind) as run:
        company_profile_import(client=client)
        sync_run_progress(run, processed=accounts_import(client=client))
        sync_run_progress(run, processed=classes_import(client=client))
    return run
