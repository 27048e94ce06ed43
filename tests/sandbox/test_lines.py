"""The lines QBO takes on each form, and how it totals them: discounts, subtotals, text, bundles."""

import pytest

from tests.sandbox.conftest import fault_code, schema_misfits

SALES_FORMS = ("Invoice", "Estimate", "SalesReceipt", "CreditMemo")


def item(amount: float, item_id: str = "2", code: str | None = None) -> dict:
    detail = {"ItemRef": {"value": item_id}}
    if code:
        detail["TaxCodeRef"] = {"value": code}
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def percent_off(percent: float) -> dict:
    return {"DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": percent}}  # fmt: skip


def amount_off(amount: float) -> dict:
    return {"Amount": amount, "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": False}}  # fmt: skip


def text(words: str) -> dict:
    return {"Description": words, "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}


SUBTOTAL = {"DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}


def sale(*lines: dict, **fields) -> dict:
    return {"CustomerRef": {"value": "1"}, "Line": list(lines), **fields}


def kinds(document: dict) -> list[tuple[str, float]]:
    return [(line["DetailType"], line["Amount"]) for line in document["Line"]]


@pytest.mark.parametrize("entity", SALES_FORMS)
def test_a_percent_discount_comes_off_the_subtotal_as_in_intuits_estimate(create, entity):
    """Intuit's Estimate example: 35.00, then QBO's subtotal, then 10 % off (3.50): 31.50.
    The subtotal and the discount carry no Id or LineNum of their own."""
    created = create(entity, sale(item(35), percent_off(10)))
    assert kinds(created) == [
        ("SalesItemLineDetail", 35),
        ("SubTotalLineDetail", 35),
        ("DiscountLineDetail", 3.5),
    ]
    assert created["TotalAmt"] == 31.5
    assert [("Id" in line, "LineNum" in line) for line in created["Line"]] == [
        (True, True),
        (False, False),
        (False, False),
    ]


def test_an_amount_discount_comes_off_as_sent_and_the_balance_follows(create):
    created = create("Invoice", sale(item(120), item(30), amount_off(25)))
    assert (created["TotalAmt"], created["Balance"]) == (125, 125)


def test_a_percent_discount_rounds_half_up_to_the_cent(create):
    created = create("Invoice", sale(item(10.05), percent_off(10)))
    assert created["Line"][-1]["Amount"] == 1.01  # 1.005
    assert created["TotalAmt"] == 9.04


@pytest.mark.parametrize(
    ("after", "tax", "total"),
    [(False, 8.0, 98.0), (True, 7.2, 97.2)],
)
def test_apply_tax_after_discount_decides_what_is_taxed(qbo_sandbox, create, after, tax, total):
    """Intuit: "If false or null, calculate the sales tax first, and then apply the discount.
    If true, subtract the discount first and then calculate the sales tax." (8 % here)"""
    qbo_sandbox.reset(seed="us-ast")
    body = sale(item(100), percent_off(10), ApplyTaxAfterDiscount=after)
    created = create("Invoice", body)
    assert created["TxnTaxDetail"]["TotalTax"] == tax
    assert created["TotalAmt"] == total


def test_a_subtotal_sent_between_lines_carries_the_sum_above_it_and_adds_nothing(create):
    created = create("Invoice", sale(item(10), item(20), SUBTOTAL, item(5)))
    assert kinds(created) == [
        ("SalesItemLineDetail", 10),
        ("SalesItemLineDetail", 20),
        ("SubTotalLineDetail", 30),
        ("SalesItemLineDetail", 5),
        ("SubTotalLineDetail", 35),
    ]
    assert created["TotalAmt"] == 35


def test_a_document_read_and_sent_back_keeps_one_subtotal_and_one_discount(qbo_sandbox, create):
    created = create("Invoice", sale(item(40), percent_off(25)))
    response = qbo_sandbox.api("POST", "invoice", json={**created, "PrivateNote": "again"})
    assert response.status_code == 200, response.text
    updated = response.json()["Invoice"]
    assert kinds(updated) == kinds(created)
    assert updated["TotalAmt"] == 30


def test_a_description_line_is_text_with_no_amount_in_its_own_detail(qbo_sandbox, create):
    """Its detail is DescriptionLineDetail (Intuit's schema); an Amount sent on it is ignored."""
    created = create("Invoice", sale(item(50), {**text("Harvest of May"), "Amount": 99}))
    described = created["Line"][1]
    assert described["DetailType"] == "DescriptionOnly"
    assert (described["Amount"], described["Description"]) == (0, "Harvest of May")
    assert described["DescriptionLineDetail"] == {}
    assert (described["Id"], described["LineNum"]) == ("2", 2)
    assert created["TotalAmt"] == 50
    assert schema_misfits(qbo_sandbox.backend.company("9341453050298375")) == []


def test_a_form_needs_a_line_of_its_own_not_only_a_discount(qbo_sandbox):
    response = qbo_sandbox.api("POST", "invoice", json=sale(percent_off(10)))
    assert (response.status_code, fault_code(response)) == (400, "2020")


def test_a_discount_percent_past_100_is_refused(qbo_sandbox):
    response = qbo_sandbox.api("POST", "invoice", json=sale(item(10), percent_off(150)))
    assert (response.status_code, fault_code(response)) == (400, "6000")
    assert response.json()["Fault"]["Error"][0]["element"] == "DiscountPercent"


@pytest.fixture
def bundle(qbo_sandbox, create):
    """A group item: 2 x Blue Dream 3.5g (25.00) and 1 x Distribution Fee (150.00)."""
    parts = [{"ItemRef": {"value": "9"}, "Qty": 2}, {"ItemRef": {"value": "2"}, "Qty": 1}]
    return create(
        "Item",
        {"Name": "Launch Bundle", "Type": "Group", "ItemGroupDetail": {"ItemGroupLine": parts}},
    )


@pytest.mark.parametrize("entity", SALES_FORMS)
def test_a_bundle_line_holds_its_items_times_its_quantity(qbo_sandbox, create, bundle, entity):
    detail = {"GroupItemRef": {"value": bundle["Id"]}, "Quantity": 2}
    group = {"DetailType": "GroupLineDetail", "GroupLineDetail": detail}
    created = create(entity, sale(group, item(10)))
    detail = created["Line"][0]["GroupLineDetail"]
    assert [(part["SalesItemLineDetail"]["Qty"], part["Amount"]) for part in detail["Line"]] == [
        (4, 100),
        (2, 300),
    ]
    assert created["Line"][0]["Amount"] == 400
    assert created["TotalAmt"] == 410
    assert schema_misfits(qbo_sandbox.backend.company("9341453050298375")) == []


def test_a_bundle_line_must_name_a_group_item(qbo_sandbox):
    group = {"DetailType": "GroupLineDetail", "GroupLineDetail": {"GroupItemRef": {"value": "9"}}}
    response = qbo_sandbox.api("POST", "invoice", json=sale(group))
    assert (response.status_code, fault_code(response)) == (400, "6000")


@pytest.mark.parametrize(
    "line",
    [
        {"DetailType": "GroupLineDetail", "GroupLineDetail": {"GroupItemRef": {"value": "18"}}},
        {"Amount": 5, "DetailType": "DiscountLineDetail", "DiscountLineDetail": {}},
        {"Description": "note", "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}},
        {"Amount": 5, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}}},
    ],
    ids=["group", "discount", "description", "sales item"],
)  # fmt: skip
@pytest.mark.parametrize("entity", ["Bill", "VendorCredit"])
def test_a_purchase_form_takes_only_expense_lines(qbo_sandbox, entity, line):
    """Intuit's Bill and VendorCredit pages list item and account expense lines only."""
    expense = {"Amount": 20, "DetailType": "AccountBasedExpenseLineDetail",
               "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}  # fmt: skip
    body = {"VendorRef": {"value": "1"}, "Line": [expense, line]}
    stored = qbo_sandbox.backend.counts()["9341453050298375"]["objects"].get(entity)
    response = qbo_sandbox.api("POST", entity.lower(), json=body)
    assert (response.status_code, fault_code(response)) == (400, "6000")
    assert response.json()["Fault"]["Error"][0]["element"] == "DetailType"
    assert qbo_sandbox.backend.counts()["9341453050298375"]["objects"].get(entity) == stored


def test_a_void_zeroes_the_subtotal_and_the_discount(qbo_sandbox, create):
    created = create("Invoice", sale(item(80), percent_off(10)))
    body = {"Id": created["Id"], "SyncToken": created["SyncToken"]}
    voided = qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "void"})
    assert [amount for _, amount in kinds(voided.json()["Invoice"])] == [0, 0, 0]
