from datetime import timedelta
from urllib import parse

from django.utils import timezone

from integrations.models import QboConnection, QboItem
from integrations.qbo.client import select
from integrations.sandbox.entities import SPECS


def clear_requests(sandbox) -> None:
    sandbox.control("requests/clear")


def qbo_item(sandbox, name: str) -> dict:
    """The sandbox's Item called `name`, active or not (QBO renames inactive items)."""
    names = [name, f"{name} (deleted)"]
    rows = sandbox.query(select("Item", {"Name": names, "Active": [True, False]}))
    return rows["Item"][0]


def qbo_item_update(sandbox, name: str, **fields) -> dict:
    """A sparse update made in QBO, as a QBO user would make it."""
    raw = qbo_item(sandbox, name)
    body = {"Id": raw["Id"], "SyncToken": raw["SyncToken"], "sparse": True, **fields}
    response = sandbox.api("POST", "item", json=body)
    response.raise_for_status()
    return response.json()["Item"]


def qbo_items_bulk_create(sandbox, count: int, prefix: str = "Bulk") -> None:
    """Create many items in the sandbox at once (the API would take a batch call per 30)."""
    income = {"value": qbo_item(sandbox, "Blue Dream 3.5g")["IncomeAccountRef"]["value"]}
    with sandbox.backend.lock:
        for n in range(count):
            body = {"Name": f"{prefix} {n:05d}", "Type": "NonInventory", "IncomeAccountRef": income}
            sandbox.company.create(SPECS["Item"], body)


def watermark_age(age: timedelta) -> None:
    """Pretend the last sync took place `age` ago."""
    QboConnection.objects.update(changes_watermark=timezone.now() - age)


def mirrored(name: str) -> QboItem | None:
    return QboItem.objects.filter(name=name).first()


def api_calls(sandbox) -> list[str]:
    """Every API request since the log was cleared, as `METHOD last-segment [decoded query]`."""
    calls = []
    for entry in sandbox.api_requests():
        query = parse.parse_qs(entry.get("query", "")).get("query", [""])[0]
        calls.append(f"{entry['method']} {entry['path'].rsplit('/', 1)[-1]} {query}".strip())
    return calls
