"""DocNumber uniqueness: 6140 where QBO checks it, and `include=allowduplicatedocnum`."""

import pytest

from tests.sandbox.conftest import fault_code, number_sales_forms_in_qbo, set_other_pref

LINE = {"Amount": 40, "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
BILL_LINE = {"Amount": 20, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}  # fmt: skip


def sale(number: str | None = None, customer: str = "1") -> dict:
    body = {"CustomerRef": {"value": customer}, "Line": [LINE]}
    return body if number is None else {**body, "DocNumber": number}


def purchase(number: str, vendor: str = "1") -> dict:
    return {"VendorRef": {"value": vendor}, "DocNumber": number, "Line": [BILL_LINE]}


def check(number: str, bill_id: str, pay_type: str = "Check") -> dict:
    account = {"Check": ("CheckPayment", "BankAccountRef", "1"),
               "CreditCard": ("CreditCardPayment", "CCAccountRef", "9")}[pay_type]  # fmt: skip
    holder, key, account_id = account
    return {
        "VendorRef": {"value": "1"}, "PayType": pay_type, "TotalAmt": 5, "DocNumber": number,
        holder: {key: {"value": account_id}},
        "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}],
    }  # fmt: skip


def invoices_numbered(sandbox, number: str) -> int:
    """How many invoices the sandbox holds with this DocNumber."""
    return sum(i.get("DocNumber") == number for i in sandbox.company.objects["Invoice"].values())


def test_a_second_invoice_with_a_used_number_is_6140_naming_the_holder(qbo_sandbox, create):
    """QBO's own wording: the number, the type and the Id of the transaction that holds it."""
    first = create("Invoice", sale("INV-7"))
    response = qbo_sandbox.api("POST", "invoice", json=sale("INV-7", customer="2"))
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert error == {
        "Message": "Duplicate Document Number Error",
        "Detail": "Duplicate Document Number Error : You must specify a different number. "
        "This number has already been used. DocNumber=INV-7 is assigned to TxnType=Invoice "
        f"with TxnId={first['Id']}",
        "code": "6140",
        "element": "",
    }
    assert response.json()["Fault"]["type"] == "ValidationFault"
    assert invoices_numbered(qbo_sandbox, "INV-7") == 1


@pytest.mark.parametrize(
    ("holder", "txn_type"), [("CreditMemo", "Credit Memo"), ("SalesReceipt", "Sales Receipt")]
)
def test_invoices_credit_memos_and_sales_receipts_share_one_number_series(
    qbo_sandbox, create, holder, txn_type
):
    """An invoice may not take a number a credit memo or sales receipt already has."""
    taken = create(holder, sale("S-100"))
    response = qbo_sandbox.api("POST", "invoice", json=sale("S-100"))
    assert fault_code(response) == "6140"
    assert (
        f"is assigned to TxnType={txn_type} with TxnId={taken['Id']}"
        in (response.json()["Fault"]["Error"][0]["Detail"])
    )


def test_include_allowduplicatedocnum_lets_a_write_reuse_a_number(qbo_sandbox, create):
    """The query parameter Intuit documents for a number that must repeat."""
    create("Invoice", sale("INV-8"))
    again = create("Invoice", sale("INV-8"), include="allowduplicatedocnum")
    assert again["DocNumber"] == "INV-8"
    assert invoices_numbered(qbo_sandbox, "INV-8") == 2


def test_an_update_may_keep_its_number_but_not_take_another_ones(qbo_sandbox, create):
    """Only a number the write changes is checked, so an allowed duplicate stays editable."""
    create("Invoice", sale("INV-9"))
    other = create("Invoice", sale("INV-10"))
    taken = {"Id": other["Id"], "SyncToken": other["SyncToken"], "sparse": True,
             "DocNumber": "INV-9"}  # fmt: skip
    assert fault_code(qbo_sandbox.api("POST", "invoice", json=taken)) == "6140"
    kept = create("Invoice", {**taken, "DocNumber": "INV-10", "PrivateNote": "checked"})
    assert (kept["DocNumber"], kept["PrivateNote"]) == ("INV-10", "checked")


def test_numbers_qbo_assigns_follow_one_series_and_skip_typed_ones(qbo_sandbox, create):
    """Auto-numbering is shared by the sales forms and never hands out a taken number."""
    number_sales_forms_in_qbo(qbo_sandbox)
    assert create("CreditMemo", sale())["DocNumber"] == "1001"
    create("Invoice", sale("1002"))
    assert create("Invoice", sale())["DocNumber"] == "1003"
    assert create("SalesReceipt", sale())["DocNumber"] == "1004"


def test_an_estimate_has_a_series_of_its_own(create):
    """An estimate may reuse an invoice's number, but not another estimate's."""
    create("Invoice", sale("Q-1"))
    assert create("Estimate", sale("Q-1"))["DocNumber"] == "Q-1"


def test_a_deleted_invoice_frees_its_number(qbo_sandbox, create):
    """QBO keeps nothing of a deleted transaction to clash with."""
    first = create("Invoice", sale("INV-11"))
    body = {"Id": first["Id"], "SyncToken": first["SyncToken"]}
    qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    assert create("Invoice", sale("INV-11"))["DocNumber"] == "INV-11"


def test_bill_numbers_repeat_unless_the_duplicate_bill_warning_is_on(qbo_sandbox, create):
    """Checked only under WarnDuplicateBillNumber, and then per vendor."""
    create("Bill", purchase("B-1"))
    create("Bill", purchase("B-1"))
    set_other_pref(qbo_sandbox, "WarnDuplicateBillNumber", True)
    response = qbo_sandbox.api("POST", "bill", json=purchase("B-1"))
    assert fault_code(response) == "6140"
    assert "TxnType=Bill" in response.json()["Fault"]["Error"][0]["Detail"]
    assert create("Bill", purchase("B-1", vendor="2"))["DocNumber"] == "B-1"
    assert create("Bill", purchase("B-1"), include="allowduplicatedocnum")


def test_a_vendor_credit_number_may_not_repeat(qbo_sandbox, create):
    """Intuit's VendorCredit page: a duplicate DocNumber is refused."""
    create("VendorCredit", purchase("VC-1"))
    response = qbo_sandbox.api("POST", "vendorcredit", json=purchase("VC-1", vendor="2"))
    assert fault_code(response) == "6140"
    assert "TxnType=Vendor Credit" in response.json()["Fault"]["Error"][0]["Detail"]


def test_a_check_number_may_not_repeat_while_the_duplicate_check_warning_is_on(
    qbo_sandbox, create, bill
):
    """A bill payment by check: on by default (as in Intuit's sample company), then off."""
    create("BillPayment", check("5001", bill["Id"]))
    response = qbo_sandbox.api("POST", "billpayment", json=check("5001", bill["Id"]))
    assert fault_code(response) == "6140"
    assert "TxnType=Bill Payment" in response.json()["Fault"]["Error"][0]["Detail"]
    set_other_pref(qbo_sandbox, "WarnDuplicateCheckNumber", False)
    assert create("BillPayment", check("5001", bill["Id"]))["DocNumber"] == "5001"


def test_a_card_bill_payment_number_is_checked_apart_from_checks(qbo_sandbox, create, bill):
    """Credit-card bill payments are always checked, among themselves."""
    set_other_pref(qbo_sandbox, "WarnDuplicateCheckNumber", False)
    create("BillPayment", check("77", bill["Id"]))
    create("BillPayment", check("77", bill["Id"], pay_type="CreditCard"))
    response = qbo_sandbox.api(
        "POST", "billpayment", json=check("77", bill["Id"], pay_type="CreditCard")
    )
    assert fault_code(response) == "6140"
