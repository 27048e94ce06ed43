"""The full import: active NonInventory and Service items, paged 1000 at a time, in bulk."""

import pytest
from django.core.management import call_command

from integrations.models import QboConnection, QboItem, SyncRun
from integrations.services.changes import changes_sync_run
from integrations.services.connection import qbo_client
from integrations.services.items import SYNCABLE_ITEMS, items_import
from tests.factories import QboItemFactory
from tests.items.conftest import api_calls, qbo_items_bulk_create

pytestmark = pytest.mark.django_db


def test_only_active_noninventory_and_service_items_are_imported(chart):
    run = items_import(client=qbo_client())

    assert run.status == SyncRun.Status.SUCCEEDED
    names = set(QboItem.objects.values_list("name", flat=True))
    assert {"Blue Dream 3.5g", "Distribution Fee", "Excise Tax"} <= names
    # Inactive items, Inventory, Category and Group items never arrive.
    assert not names & {
        "Discontinued Tincture",
        "Old Label Pre-Roll",
        "Glass Jars 1/8oz",
        "Flower",
        "Starter Bundle",
    }
    assert set(QboItem.objects.values_list("type", flat=True)) == {"NonInventory", "Service"}
    made_here = {"Distru Sales", "Distru Purchases"}  # the default items the import made
    imported = QboItem.objects.exclude(name__in=made_here)
    assert set(imported.values_list("origin", flat=True)) == {QboItem.Origin.QBO}
    made = QboItem.objects.filter(name__in=made_here)
    assert set(made.values_list("origin", flat=True)) == {QboItem.Origin.LOCAL}
    blue_dream = QboItem.objects.get(name="Blue Dream 3.5g")
    assert blue_dream.income_account.name == "Sales of Product Income"
    assert blue_dream.expense_account.name == "Cost of Goods Sold"
    assert blue_dream.sku == "BD-35" and blue_dream.qbo_id and blue_dream.sync_token
    assert QboConnection.objects.get().items_full_synced_at


def test_the_import_names_each_item_it_leaves_out_and_why(chart):
    run = items_import(client=qbo_client())

    left_out = {note["item"]: note["text"] for note in run.details if "item" in note}
    assert set(left_out) == {"Glass Jars 1/8oz", "Flower", "Edibles", "Starter Bundle"}
    assert left_out["Glass Jars 1/8oz"] == (
        "“Glass Jars 1/8oz” was not imported: it is an Inventory item: QuickBooks counts its "
        "quantity on hand against an asset account, which Distru does not keep in step."
    )
    assert "which QuickBooks refuses on a transaction line" in left_out["Flower"]
    assert "it is a bundle (Group)" in left_out["Starter Bundle"]
    summary = next(note["text"] for note in run.details if note["text"].startswith("Items of"))
    assert "(Inventory: 1, Category: 2, Group: 1)" in summary


def test_pages_of_1000_cost_one_read_each_plus_a_constant(chart):
    qbo_items_bulk_create(chart, 2500)
    chart.control("requests/clear")

    run = items_import(client=qbo_client())

    item_reads = [call for call in api_calls(chart) if call.startswith("GET query")]
    # The count, three pages (2500 + the sample's active items), the page of the types left
    # out, the default items' lookup.
    assert len(item_reads) == 1 + 3 + 1 + 1
    pages = [call for call in item_reads if call.startswith(f"GET query {SYNCABLE_ITEMS} START")]
    assert len(pages) == 3
    assert run.processed == QboItem.objects.count() - 2  # the two defaults came after


def test_an_unpushed_item_made_here_is_linked_by_name_not_duplicated(chart):
    mine = QboItemFactory(name="blue dream 3.5G", qbo_id="", origin=QboItem.Origin.LOCAL)

    items_import(client=qbo_client())

    mine.refresh_from_db()
    assert (
        mine.qbo_id
        == chart.query("SELECT * FROM Item WHERE Name = 'Blue Dream 3.5g'")["Item"][0]["Id"]
    )
    assert QboItem.objects.filter(name__iexact="blue dream 3.5g").count() == 1


def test_progress_is_reported_page_by_page(chart):
    qbo_items_bulk_create(chart, 1500)
    seen = []

    changes_sync_run(full=True, progress=lambda done, total: seen.append((done, total)))

    total = seen[0][1]
    assert total == 1500 + 10  # the sample company has 10 active NonInventory/Service items
    assert [done for done, _ in seen] == [1000, total]


def test_the_command_shows_a_progress_bar_and_the_outcome(chart, capsys):
    call_command("qbo_sync_items", "--full")

    out = capsys.readouterr().out
    assert "\r[" in out and "] 10/10 items" in out
    assert "Full item import" in out and "“Distru Sales” was created" in out


def test_the_command_without_full_runs_the_change_pipeline(synced, capsys):
    """What the hourly pass does, preferences included: someone asked for it."""
    call_command("qbo_sync_items")

    assert "Changes from QuickBooks" in capsys.readouterr().out
    assert api_calls(synced) == ["GET cdc", "GET preferences"]


def test_the_command_fails_clearly_when_not_connected(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not connected"):
        call_command("qbo_sync_items")


def test_two_items_named_alike_but_for_case_are_both_mirrored_and_the_sync_goes_on(db):
    """QBO may hold "Flower Bulk" and "flower bulk"; the mirror's name is unique regardless of
    case, so the second is set apart by its QBO id instead of failing every sync for good."""
    from integrations.services.mirror import items_mirror

    rows = [
        {"Id": "501", "Name": "Flower Bulk", "Type": "NonInventory", "SyncToken": "0"},
        {"Id": "502", "Name": "flower bulk", "Type": "NonInventory", "SyncToken": "0"},
    ]

    assert items_mirror(rows=rows) == 2

    names = dict(QboItem.objects.values_list("qbo_id", "name"))
    assert names == {"501": "Flower Bulk", "502": "flower bulk (QuickBooks item 502)"}
