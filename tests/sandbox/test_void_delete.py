"""Void and delete as QBO does them: each entity's one void form, and linked documents kept."""

import pytest

from tests.sandbox.conftest import fault_code

VOID_BY_UPDATE = {"operation": "update", "include": "void"}


def _detail(response) -> str:
    return response.json()["Fault"]["Error"][0]["Detail"]


def _read(qbo_sandbox, entity: str, obj_id: str) -> dict:
    return qbo_sandbox.api("GET", f"{entity.lower()}/{obj_id}").json()[entity]


def _sparse(obj: dict) -> dict:
    return {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True}


def test_a_payment_is_voided_by_a_sparse_update_with_include_void(qbo_sandbox, paid_invoice):
    """Amounts zeroed, lines cleared, "Voided - " put before the note, the invoice reopened."""
    invoice, payment = paid_invoice
    response = qbo_sandbox.api("POST", "payment", json=_sparse(payment), params=VOID_BY_UPDATE)
    assert response.status_code == 200, response.text
    voided = _read(qbo_sandbox, "Payment", payment["Id"])
    assert (voided["TotalAmt"], voided["UnappliedAmt"], voided["Line"]) == (0, 0, [])
    assert voided["PrivateNote"] == "Voided - Check 1182"
    assert _read(qbo_sandbox, "Invoice", invoice["Id"])["Balance"] == 100


def test_a_payment_with_money_unapplied_reads_back_with_none(qbo_sandbox, create):
    payment = create("Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 40})
    assert payment["UnappliedAmt"] == 40
    qbo_sandbox.api("POST", "payment", json=_sparse(payment), params=VOID_BY_UPDATE)
    voided = _read(qbo_sandbox, "Payment", payment["Id"])
    assert (voided["TotalAmt"], voided["UnappliedAmt"], voided["PrivateNote"]) == (0, 0, "Voided")


def test_a_bill_payment_reads_back_as_qbo_answered_its_void(qbo_sandbox, create, bill):
    """As the voided check Cloud Elements' documentation shows QBO answering: TotalAmt 0, no
    lines, and "Voided - RC 93" where the note was "RC 93"; its bill reopens."""
    payment = create(
        "BillPayment",
        {
            "VendorRef": {"value": "1"},
            "PayType": "Check",
            "TotalAmt": 70,
            "PrivateNote": "RC 93",
            "CheckPayment": {"BankAccountRef": {"value": "1"}},
            "Line": [{"Amount": 70, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    response = qbo_sandbox.api("POST", "billpayment", json=_sparse(payment), params=VOID_BY_UPDATE)
    assert response.status_code == 200, response.text
    voided = _read(qbo_sandbox, "BillPayment", payment["Id"])
    assert (voided["TotalAmt"], voided["Line"], voided["PrivateNote"]) == (0, [], "Voided - RC 93")
    assert _read(qbo_sandbox, "Bill", bill["Id"])["Balance"] == 120


@pytest.mark.parametrize(
    ("entity", "params"), [("SalesReceipt", VOID_BY_UPDATE), ("Invoice", {"operation": "void"})]
)
def test_a_sale_reads_back_with_every_amount_and_quantity_zeroed(
    qbo_sandbox, create, entity, params
):
    """As Intuit's SalesReceipt void example: each line Amount 0 and Qty 0, the subtotal 0,
    TotalAmt and Balance 0, TotalTax 0, and "Voided" before the note."""
    detail = {"ItemRef": {"value": "9"}, "Qty": 3, "UnitPrice": 25}
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    sale = create(
        entity, {"CustomerRef": {"value": "1"}, "PrivateNote": "Order 77", "Line": [line]}
    )
    assert sale["TotalAmt"] == 75
    response = qbo_sandbox.api("POST", entity.lower(), json=_sparse(sale), params=params)
    assert response.status_code == 200, response.text
    voided = _read(qbo_sandbox, entity, sale["Id"])
    item, subtotal = voided["Line"]
    assert (item["Amount"], item["SalesItemLineDetail"]["Qty"], subtotal["Amount"]) == (0, 0, 0)
    assert (voided["TotalAmt"], voided["Balance"], voided["TxnTaxDetail"]) == (
        0,
        0,
        {"TotalTax": 0},
    )
    assert voided["PrivateNote"] == "Voided - Order 77"


@pytest.mark.parametrize(
    ("entity", "params"),
    [
        ("Payment", {"operation": "void"}),
        ("BillPayment", {"operation": "void"}),
        ("Invoice", VOID_BY_UPDATE),
    ],
)
def test_the_wrong_void_form_is_refused_and_changes_nothing(
    qbo_sandbox, paid_invoice, paid_bill, create, entity, params
):
    """operation=void is Invoice's form; Payment and BillPayment take include=void."""
    target = {
        "Payment": paid_invoice[1],
        "BillPayment": paid_bill[1],
        "Invoice": create(
            "Invoice",
            {
                "CustomerRef": {"value": "2"},
                "Line": [
                    {
                        "Amount": 5,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        ),  # fmt: skip
    }[entity]
    response = qbo_sandbox.api("POST", entity.lower(), json=_sparse(target), params=params)
    assert (response.status_code, fault_code(response)) == (400, "500")
    assert response.json()["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
    assert _read(qbo_sandbox, entity, target["Id"]) == target


def test_a_sales_receipt_is_voided_like_a_payment(qbo_sandbox, create):
    line = {"Amount": 30, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip
    receipt = create("SalesReceipt", {"CustomerRef": {"value": "1"}, "Line": [line]})
    wrong = qbo_sandbox.api(
        "POST", "salesreceipt", json=_sparse(receipt), params={"operation": "void"}
    )
    assert fault_code(wrong) == "500"
    right = qbo_sandbox.api("POST", "salesreceipt", json=_sparse(receipt), params=VOID_BY_UPDATE)
    assert right.json()["SalesReceipt"]["TotalAmt"] == 0


@pytest.mark.parametrize(
    ("documents", "entity", "params", "doing"),
    [
        ("paid_invoice", "Invoice", {"operation": "delete"}, "deleting"),
        ("paid_invoice", "Invoice", {"operation": "void"}, "voiding"),
        ("paid_bill", "Bill", {"operation": "delete"}, "deleting"),
    ],
)
def test_a_document_with_a_payment_applied_is_neither_deleted_nor_voided(
    qbo_sandbox, request, documents, entity, params, doing
):
    """Fault 6000 naming the rule; the document and its payment stay as they were."""
    document, payment = request.getfixturevalue(documents)
    before = _read(qbo_sandbox, entity, document["Id"])
    body = {"Id": document["Id"], "SyncToken": before["SyncToken"]}
    response = qbo_sandbox.api("POST", entity.lower(), json=body, params=params)
    assert (response.status_code, fault_code(response)) == (400, "6000")
    assert _detail(response) == (
        "Business Validation Error: You must unlink any linked transactions associated with "
        f"the {entity} before {doing} it."
    )
    assert _read(qbo_sandbox, entity, document["Id"]) == before


def test_once_its_payment_is_deleted_the_invoice_can_be_deleted(qbo_sandbox, paid_invoice):
    invoice, payment = paid_invoice
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}
    assert qbo_sandbox.api("POST", "payment", json=body, params={"operation": "delete"}).ok
    current = _read(qbo_sandbox, "Invoice", invoice["Id"])
    body = {"Id": invoice["Id"], "SyncToken": current["SyncToken"]}
    deleted = qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    assert deleted.json()["Invoice"]["status"] == "Deleted"


def test_deleting_what_is_already_deleted_is_610_another_user_deleted_it(qbo_sandbox, invoice):
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    again = qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    assert (again.status_code, fault_code(again)) == (400, "610")
    assert _detail(again) == "Object Not Found : Another user has deleted this transaction."


def test_a_deposited_payment_cannot_be_voided(qbo_sandbox, paid_invoice):
    invoice, payment = paid_invoice
    qbo_sandbox.deposit(payment["Id"])
    response = qbo_sandbox.api("POST", "payment", json=_sparse(payment), params=VOID_BY_UPDATE)
    assert (response.status_code, fault_code(response)) == (400, "6540")


def test_a_batch_voids_a_payment_as_an_update_with_options_data_void(qbo_sandbox, paid_invoice):
    _, payment = paid_invoice
    items = [
        {"bId": "1", "operation": "void", "Payment": _sparse(payment)},
        {"bId": "2", "operation": "update", "optionsData": "void", "Payment": _sparse(payment)},
    ]
    answers = qbo_sandbox.api("POST", "batch", json={"BatchItemRequest": items}).json()
    wrong, right = answers["BatchItemResponse"]
    assert wrong["Fault"]["Error"][0]["code"] == "500"
    assert right["Payment"]["TotalAmt"] == 0
