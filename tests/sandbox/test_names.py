"""Names QBO refuses (2040), and customers or vendors it keeps active while they owe money."""

import pytest

from tests.sandbox.conftest import fault_code

SERVICE = {"Type": "Service", "IncomeAccountRef": {"value": "16"}}


@pytest.mark.parametrize(
    ("path", "body", "element"),
    [
        ("customer", {"DisplayName": "Rob:Barnett:Company"}, "DisplayName"),
        ("vendor", {"DisplayName": "Farm\tCo"}, "DisplayName"),
        ("customer", {"GivenName": "Ana", "FamilyName": "Ruiz:Lopez"}, "FamilyName"),
        ("item", {"Name": "Flower:Indica", **SERVICE}, "Name"),
        ("item", {"Name": "Pre-roll\n1g", **SERVICE}, "Name"),
    ],
)
def test_a_colon_tab_or_line_break_in_a_name_is_2040(qbo_sandbox, path, body, element):
    """QBO's wording, naming the element and echoing the value; nothing is stored."""
    before = qbo_sandbox.state()["realms"][qbo_sandbox.realm_id]["objects"]
    response = qbo_sandbox.api("POST", path, json=body)
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    value = body.get("Name") or body.get("DisplayName") or body[element]
    assert error == {
        "Message": "Invalid String. The String may contain unsupported or illegal chars",
        "Detail": f"Element contains invalid characters. {value}",
        "code": "2040",
        "element": element,
    }
    assert qbo_sandbox.state()["realms"][qbo_sandbox.realm_id]["objects"] == before


def test_a_display_name_may_have_500_characters_but_not_501(qbo_sandbox, create):
    """Intuit's Customer page: DisplayName is at most 500 characters."""
    assert create("Customer", {"DisplayName": "d" * 500})["DisplayName"] == "d" * 500
    response = qbo_sandbox.api("POST", "customer", json={"DisplayName": "e" * 501})
    assert fault_code(response) == "2050"


def _inactivate(qbo_sandbox, entity: str, obj_id: str):
    current = qbo_sandbox.api("GET", f"{entity.lower()}/{obj_id}").json()[entity]
    body = {"Id": obj_id, "SyncToken": current["SyncToken"], "sparse": True, "Active": False}
    return qbo_sandbox.api("POST", entity.lower(), json=body)


def test_a_customer_with_an_open_invoice_stays_active_until_it_is_paid(
    qbo_sandbox, create, invoice
):
    """6000 naming the open balance; once paid in full the customer can be made inactive."""
    response = _inactivate(qbo_sandbox, "Customer", "1")
    assert (response.status_code, fault_code(response)) == (400, "6000")
    error = response.json()["Fault"]["Error"][0]
    assert "open balance of 100.00" in error["Detail"]
    assert error["element"] == "Active"
    assert qbo_sandbox.api("GET", "customer/1").json()["Customer"]["Active"] is True
    line = {"Amount": 100, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
    create("Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 100, "Line": [line]})
    assert _inactivate(qbo_sandbox, "Customer", "1").json()["Customer"]["Active"] is False


def test_unused_credit_is_an_open_balance_too(qbo_sandbox, create):
    """A customer holding an unapplied credit memo is owed money: QBO keeps it active."""
    line = {"Amount": 30, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    create("CreditMemo", {"CustomerRef": {"value": "3"}, "Line": [line]})
    response = _inactivate(qbo_sandbox, "Customer", "3")
    assert fault_code(response) == "6000"
    assert "open balance of -30.00" in response.json()["Fault"]["Error"][0]["Detail"]


def test_a_vendor_with_an_open_bill_stays_active(qbo_sandbox, bill):
    """The same rule for vendors; one with nothing open is inactivated as before."""
    assert fault_code(_inactivate(qbo_sandbox, "Vendor", "1")) == "6000"
    assert _inactivate(qbo_sandbox, "Vendor", "5").json()["Vendor"]["Active"] is False
