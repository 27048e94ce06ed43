"""The mirror import takes any rows QBO sends: good rows land, bad rows are skipped with a reason,
and a page that cannot be written leaves the mirror exactly as it was."""

import logging

import pytest
from django.db import DatabaseError, transaction
from hypothesis import example, given
from hypothesis import strategies as st

from integrations.models import QboAccount, QboClass, QboItem, SyncRun
from integrations.services.items import _items_sorted
from integrations.services.mirror import (
    accounts_mirror,
    classes_mirror,
    item_problem,
    items_mirror,
)

from .strategies import big_text, fuzz_settings, json_values

pytestmark = pytest.mark.django_db

odd = json_values | big_text | st.sampled_from(["", " ", "false", "12.5", "1e30", "NaN", "-0"])
ref = st.none() | odd | st.fixed_dictionaries({"value": odd}, optional={"name": odd})


@st.composite
def item_rows(draw, index: int = 0) -> dict:
    """An Item object, mostly as QBO sends it, with any member possibly odd, null or missing."""
    row = {
        "Id": str(1000 + index),
        "Name": f"Item {index}",
        "Type": draw(st.sampled_from(["NonInventory", "Service", "Inventory", "Category"])),
        "Active": True,
        "SyncToken": "0",
    }
    optional = {
        "Id": odd,
        "Name": odd,
        "Type": odd,
        "Active": odd,
        "SyncToken": odd,
        "Description": odd,
        "Sku": odd,
        "UnitPrice": odd | st.floats() | st.integers(),
        "PurchaseCost": odd | st.decimals().map(str),
        "IncomeAccountRef": ref,
        "ExpenseAccountRef": ref,
        "ClassRef": ref,
    }
    for key in draw(st.sets(st.sampled_from(sorted(optional)), max_size=3)):
        row[key] = draw(optional[key])
    for key in draw(st.sets(st.sampled_from(sorted(row)), max_size=1)):
        del row[key]
    return row


@st.composite
def item_pages(draw) -> list:
    size = draw(st.integers(0, 6))
    rows = [draw(item_rows(index=n)) for n in range(size)]
    if draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), draw(json_values))  # not even an object
    return rows


def snapshot() -> list:
    return [
        list(QboItem.objects.order_by("pk").values()),
        list(QboAccount.objects.order_by("pk").values()),
        list(QboClass.objects.order_by("pk").values()),
    ]


class Rollback(Exception):
    """Undoes one example's writes, so examples do not see each other."""


def in_rollback(check) -> None:
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


@fuzz_settings(100)
@given(raw=json_values | item_rows())
@example(raw={"Id": True, "Name": "x", "Type": "Service"})
@example(raw={"Id": "1", "Name": {"a": 1}, "Type": "Service"})
@example(raw={"Id": "1", "Name": "n" * 5000, "Type": "Service"})
def test_item_problem_answers_for_any_value(raw):
    problem = item_problem(raw)
    assert problem is None or (isinstance(problem, str) and len(problem) < 200)


@fuzz_settings(40)
@given(page=item_pages())
@example(page=[{"Id": "1", "Name": "A", "Type": "Service", "UnitPrice": "abc"}])
@example(page=[{"Id": "1", "Name": "A", "Type": "Service", "IncomeAccountRef": "79"}])
@example(page=[{"Id": "1", "Name": "A", "Type": "Service", "Description": 5, "Sku": None}])
@example(page=[{"Id": "1", "Name": "A", "Type": "Service", "UnitPrice": 1e30}])
@example(
    page=[{"Id": "1", "Name": "A", "Type": "Service"}, {"Id": "1", "Name": "A", "Type": "Service"}]
)
@example(page=[{"Id": "x" * 40, "Name": "A", "Type": "Service"}])
def test_an_item_page_mirrors_its_good_rows_and_skips_the_rest_with_a_reason(page, caplog):
    def check():
        run = SyncRun.objects.create(kind=SyncRun.Kind.ITEMS_FULL)
        before = snapshot()
        live, dead = _items_sorted(run, page)
        skipped = [note for note in run.details if note["event"] == "skipped"]
        assert len(live) + len(dead) + len(skipped) == len(page)
        assert all(len(note["text"]) < 300 for note in skipped)
        try:
            items_mirror(rows=live)
        except DatabaseError:
            assert snapshot() == before  # all or nothing
            raise
        ids = {str(raw["Id"]).strip() for raw in live}
        assert set(QboItem.objects.filter(qbo_id__in=ids).values_list("qbo_id", flat=True)) == ids
        for item in QboItem.objects.filter(qbo_id__in=ids):
            item.full_clean(exclude=["income_account", "expense_account", "qbo_class"])

    with caplog.at_level(logging.WARNING):
        in_rollback(check)
    assert all(len(record.getMessage()) < 2000 for record in caplog.records)


name_list_rows = st.lists(
    json_values
    | st.fixed_dictionaries(
        {"Id": st.integers(1, 50).map(str) | odd},
        optional={
            "Name": odd,
            "FullyQualifiedName": odd,
            "AccountType": odd | st.just("Bank"),
            "AccountSubType": odd,
            "Classification": odd,
            "Active": odd,
            "SyncToken": odd,
            "ParentRef": ref,
        },
    ),
    max_size=6,
)


@fuzz_settings(40)
@given(rows=name_list_rows)
@example(rows=[{"Id": "1", "Name": None, "AccountSubType": None}])
@example(rows=[{"Name": "No id"}])
@example(rows=[{"Id": "1", "Name": "Child", "ParentRef": "2"}])
def test_accounts_and_classes_mirror_every_row_with_an_identity(rows):
    def check():
        accounts_mirror(rows=rows)
        classes_mirror(rows=rows)
        with_id = {
            str(raw["Id"]).strip()
            for raw in rows
            if isinstance(raw, dict)
            and isinstance(raw.get("Id"), str | int)
            and not isinstance(raw.get("Id"), bool)
            and str(raw["Id"]).strip()
            and len(str(raw["Id"]).strip()) <= 32
        }
        assert set(QboAccount.objects.values_list("qbo_id", flat=True)) == with_id
        assert set(QboClass.objects.values_list("qbo_id", flat=True)) == with_id
        for model in (QboAccount, QboClass):
            for obj in model.objects.all():
                # A nameless row keeps a blank name, as before; every value fits its column.
                assert len(obj.name) <= 100
                obj.full_clean(exclude=["name", "parent", "account_type", "classification"])

    in_rollback(check)


def test_a_class_page_that_fails_half_way_writes_nothing(monkeypatch):
    """The parent links are written with the classes, in one transaction."""
    from integrations.services import mirror

    def broken_bulk_update(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(QboClass.objects, "bulk_update", broken_bulk_update)
    rows = [
        {"Id": "1", "Name": "Parent"},
        {"Id": "2", "Name": "Child", "ParentRef": {"value": "1"}},
    ]

    with pytest.raises(DatabaseError):
        mirror.classes_mirror(rows=rows)

    assert not QboClass.objects.exists()
