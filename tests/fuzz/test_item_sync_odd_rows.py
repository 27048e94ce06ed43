"""The change pipeline against a sandbox whose items QBO would rarely send: it finishes,
mirrors what it can read, and says in the run's log what it skipped and why."""

import json

import pytest

from integrations.models import QboAccount, QboClass, QboItem, SyncRun
from integrations.services.changes import changes_sync_run

pytestmark = pytest.mark.django_db


def test_a_cdc_answer_with_odd_objects_mirrors_what_it_can_and_names_what_it_skipped(synced):
    stamp = {"MetaData": {"LastUpdatedTime": synced.backend.time()}, "SyncToken": "0"}
    service = {"Type": "Service", "Active": True, **stamp}
    with synced.backend.lock:
        items = synced.company.objects["Item"]
        items["9101"] = {"Id": "9101", "Name": "Odd Price", "UnitPrice": "abc", **service}
        items["9102"] = {"Id": "9102", "Name": "String Ref", "IncomeAccountRef": "79", **service}
        items["9103"] = {"Id": "9103", "Name": "N" * 5000, **service}
        items["9104"] = {"Id": "9104", "Name": "Nulls", "Description": None, "Sku": 5, **service}
        items["9105"] = {"Id": "9105", "Name": "Huge Price", "UnitPrice": 1e30, **service}
        items["9106"] = {"Id": "9106", "Name": "Text False", **{**service, "Active": "false"}}
        items["9107"] = {"Id": "9107", "Name": {"no": "text"}, **service}
        items["9108"] = {"Id": ["9108"], "Name": "List Id", **service}
        synced.company.objects["Class"]["9201"] = {
            "Id": "9201",
            "Name": "Kid",
            "ParentRef": "x",
            **stamp,
        }
        synced.company.objects["Account"]["9301"] = {
            "Id": "9301",
            "Name": None,
            "AccountSubType": None,
            **stamp,
        }

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert QboItem.objects.get(qbo_id="9101").unit_price is None
    assert QboItem.objects.get(qbo_id="9102").income_account is None
    assert QboItem.objects.get(qbo_id="9104").sku == "5"
    assert QboItem.objects.get(qbo_id="9105").unit_price is None
    assert not QboItem.objects.filter(qbo_id__in=["9103", "9106", "9107"]).exists()
    assert QboClass.objects.get(qbo_id="9201").parent is None
    assert QboAccount.objects.get(qbo_id="9301").name == ""
    skipped = [note["text"] for note in run.details if note["event"] == "skipped"]
    assert "A Item from QuickBooks was skipped: its Name {'no': 'text'} is not text." in skipped
    assert any("longer than QuickBooks' 100 characters" in text for text in skipped)
    assert any("its Id ['9108'] is not a QuickBooks id" in text for text in skipped)
    assert all(len(text) < 300 for text in skipped)


def test_a_name_freed_by_inactivation_and_taken_by_a_new_item_syncs(synced):
    """QBO renames an inactivated item "… (deleted)"; a new item may then take its name."""
    from tests.items.conftest import qbo_item, qbo_item_update

    old = qbo_item(synced, "Distribution Fee")
    qbo_item_update(synced, "Distribution Fee", Active=False)
    income = {"value": qbo_item(synced, "Blue Dream 3.5g")["IncomeAccountRef"]["value"]}
    created = synced.api(
        "POST",
        "item",
        json={"Name": "Distribution Fee", "Type": "Service", "IncomeAccountRef": income},
    )
    created.raise_for_status()

    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert QboItem.objects.get(name="Distribution Fee").qbo_id == created.json()["Item"]["Id"]
    assert not QboItem.objects.filter(qbo_id=old["Id"]).exists()


@pytest.mark.parametrize("full", [False, True])
def test_two_items_that_swapped_names_in_qbo_sync(synced, full):
    from tests.items.conftest import qbo_item, qbo_item_update

    first, second = (qbo_item(synced, name) for name in ("Blue Dream 3.5g", "Distribution Fee"))
    qbo_item_update(synced, "Blue Dream 3.5g", Name="Swap in progress")
    qbo_item_update(synced, "Distribution Fee", Name="Blue Dream 3.5g")
    qbo_item_update(synced, "Swap in progress", Name="Distribution Fee")

    run = changes_sync_run(full=full)

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert QboItem.objects.get(qbo_id=first["Id"]).name == "Distribution Fee"
    assert QboItem.objects.get(qbo_id=second["Id"]).name == "Blue Dream 3.5g"


def test_an_item_cdc_row_with_a_broken_change_time_is_still_mirrored(synced, qbo_proxy):
    """The change pipeline keys its watermark on QBO's time of the answer and never reads an
    item's LastUpdatedTime, so a broken one cannot stop the item from arriving."""
    from tests.items.conftest import qbo_item_update

    qbo_item_update(synced, "Distribution Fee", Description="Now per pallet")

    def break_times(status, headers, body):
        document = json.loads(body)
        for answer in document["CDCResponse"][0]["QueryResponse"]:
            for row in answer.get("Item", []):
                row["MetaData"] = {"LastUpdatedTime": ["not", "a", "time"]}
        return status, headers, json.dumps(document).encode()

    qbo_proxy.mangle_next(break_times, when=lambda received: received.path.endswith("/cdc"))
    run = changes_sync_run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.kind == SyncRun.Kind.CHANGES
    assert QboItem.objects.get(name="Distribution Fee").description == "Now per pallet"
