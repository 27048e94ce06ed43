"""The hourly item sync against a sandbox whose objects QBO would rarely send: it finishes,
mirrors what it can read, and says in the run's log what it skipped and why."""

import pytest

from integrations.models import QboAccount, QboClass, QboItem, SyncRun
from integrations.services.items import item_sync_run

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

    run = item_sync_run()

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
