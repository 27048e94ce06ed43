"""QBO's rules, as the sandbox applies them over HTTP."""

import pytest
import requests

from tests.sandbox.conftest import fault_code

SERVICE = {"Type": "Service", "IncomeAccountRef": {"value": "16"}}


def test_every_response_carries_an_intuit_tid(qbo_sandbox):
    """intuit_tid is on successes and on faults alike."""
    for response in (
        qbo_sandbox.api("GET", "item/1"),
        qbo_sandbox.api("GET", "item/9999"),
        qbo_sandbox.http.get(qbo_sandbox.api_url() + "/item/1"),
    ):
        assert response.headers["intuit_tid"].startswith("1-")


def test_read_wraps_the_object_with_time_and_metadata(qbo_sandbox):
    """GET /item/{id} answers {"Item": {...}, "time": ...} with Id, SyncToken and MetaData."""
    body = qbo_sandbox.api("GET", "item/1", params={"minorversion": "8"}).json()
    item = body["Item"]
    assert set(body) == {"Item", "time"}
    assert (item["Id"], item["SyncToken"], item["domain"], item["sparse"]) == (
        "1",
        "0",
        "QBO",
        False,
    )
    assert item["MetaData"]["CreateTime"][-6:] == "-07:00"


def test_item_names_are_unique_ignoring_case(qbo_sandbox, create):
    """A second item named like the first, in any case, is fault 6240."""
    create("Item", {"Name": "Kush Mints 3.5g", **SERVICE})
    response = qbo_sandbox.api("POST", "item", json={"Name": "KUSH MINTS 3.5G", **SERVICE})
    assert response.status_code == 400
    assert fault_code(response) == "6240"
    assert response.json()["Fault"]["Error"][0]["Message"] == "Duplicate Name Exists Error"


@pytest.mark.parametrize(("name", "code"), [("Flower:Kush", "2040"), ("x" * 101, "2050")])
def test_item_names_have_no_colon_and_at_most_100_chars(qbo_sandbox, name, code):
    """A colon or more than 100 characters is refused."""
    response = qbo_sandbox.api("POST", "item", json={"Name": name, **SERVICE})
    assert (response.status_code, fault_code(response)) == (400, code)


def test_display_names_are_unique_across_customers_and_vendors(qbo_sandbox):
    """A customer named like a vendor is fault 6240."""
    response = qbo_sandbox.api("POST", "customer", json={"DisplayName": "emerald farms"})
    assert (response.status_code, fault_code(response)) == (400, "6240")


def test_references_must_exist_and_be_active(qbo_sandbox):
    """An unknown account is 2500; an inactive one (Fees Billed) is 610."""
    missing = {"Name": "A", "Type": "Service", "IncomeAccountRef": {"value": "999"}}
    assert fault_code(qbo_sandbox.api("POST", "item", json=missing)) == "2500"
    inactive = {"Name": "B", "Type": "Service", "IncomeAccountRef": {"value": "17"}}
    assert fault_code(qbo_sandbox.api("POST", "item", json=inactive)) == "610"


def _invoice_of(item_id: str) -> dict:
    line = {"Amount": 5, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}}}  # fmt: skip
    return {"CustomerRef": {"value": "1"}, "Line": [line]}


def test_an_inactive_item_on_a_line_is_2500_invalid_reference_not_610(qbo_sandbox):
    """Item 5 is inactive: QBO answers 2500 with its "made inactive" detail (PHP SDK #110)."""
    response = qbo_sandbox.api("POST", "invoice", json=_invoice_of("5"))
    error = response.json()["Fault"]["Error"][0]
    assert (response.status_code, error["code"], error["Message"]) == (
        400,
        "2500",
        "Invalid Reference Id",
    )
    assert error["Detail"].startswith(
        "Invalid Reference Id : Something you're trying to use has been made inactive."
    )


def test_a_category_on_a_line_is_2500(qbo_sandbox):
    """Categories cannot be used in transactions: 2500 (consolibyte/quickbooks-php#178)."""
    [category] = qbo_sandbox.query("SELECT * FROM Item WHERE Type = 'Category'")["Item"][:1]
    response = qbo_sandbox.api("POST", "invoice", json=_invoice_of(category["Id"]))
    assert fault_code(response) == "2500"
    assert "Categories cannot be used in transactions" in response.text


def test_inventory_items_need_an_asset_account_quantity_and_start_date(qbo_sandbox, create):
    """Without AssetAccountRef, QtyOnHand or InvStartDate an Inventory item is refused."""
    full = {
        "Name": "Jar Lids", "Type": "Inventory", "IncomeAccountRef": {"value": "15"},
        "ExpenseAccountRef": {"value": "18"}, "AssetAccountRef": {"value": "5"},
        "QtyOnHand": 10, "InvStartDate": "2024-01-01",
    }  # fmt: skip
    for missing in ("AssetAccountRef", "QtyOnHand", "InvStartDate"):
        body = {k: v for k, v in full.items() if k != missing}
        response = qbo_sandbox.api("POST", "item", json=body)
        assert (fault_code(response), response.json()["Fault"]["Error"][0]["element"]) == (
            "2020",
            missing,
        )
    assert create("Item", full)["TrackQtyOnHand"] is True


def test_a_stale_sync_token_is_5010(qbo_sandbox, create):
    """An update with an old SyncToken is refused; the current one works."""
    item = create("Item", {"Name": "Rosin 1g", **SERVICE})
    create("Item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Sku": "R1"})
    stale = {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Sku": "R2"}
    response = qbo_sandbox.api("POST", "item", json=stale)
    assert (response.status_code, fault_code(response)) == (400, "5010")


def test_sparse_update_keeps_what_it_omits_and_full_update_clears_it(create):
    """sparse=true changes only the fields sent; without it, omitted fields are cleared."""
    item = create("Item", {"Name": "Hash 1g", "Sku": "H1", "Description": "Bubble", **SERVICE})
    sparse = create("Item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Sku": "H2"})
    assert (sparse["Sku"], sparse["Description"], sparse["SyncToken"]) == ("H2", "Bubble", "1")
    full = create("Item", {"Id": item["Id"], "SyncToken": "1", "Name": "Hash 1g", **SERVICE})
    assert "Sku" not in full and "Description" not in full
    assert full["SyncToken"] == "2"


def test_name_lists_are_inactivated_not_deleted(qbo_sandbox, create):
    """Delete is refused for an item; Active=false hides it from queries and renames it."""
    item = create("Item", {"Name": "Shatter 1g", **SERVICE})
    body = {"Id": item["Id"], "SyncToken": "0"}
    response = qbo_sandbox.api("POST", "item", json=body, params={"operation": "delete"})
    assert response.status_code == 400
    gone = create("Item", {**body, "sparse": True, "Active": False})
    assert (gone["Active"], gone["Name"]) == (False, "Shatter 1g (deleted)")
    by_id = f"SELECT * FROM Item WHERE Id = '{item['Id']}'"  # noqa: S608 - QBO's query language
    assert qbo_sandbox.query(by_id) == {}
    inactive = qbo_sandbox.query(by_id + " AND Active = false")
    assert inactive["Item"][0]["Active"] is False
    back = create("Item", {"Id": item["Id"], "SyncToken": "1", "sparse": True, "Active": True})
    assert (back["Active"], back["Name"]) == (True, "Shatter 1g")


def test_invoice_totals_and_balance_come_from_the_lines(invoice):
    """Qty x UnitPrice fills a missing Amount; TotalAmt and Balance are the sum."""
    assert [line["Amount"] for line in invoice["Line"]] == [50, 50, 100]
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert (invoice["TotalAmt"], invoice["Balance"]) == (100, 100)


def test_an_update_line_array_replaces_every_line(create, invoice):
    """Without sparse, the Line array sent is the whole new set of lines."""
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True, "Line": [line]}
    updated = create("Invoice", body)
    assert len(updated["Line"]) == 2
    assert (updated["TotalAmt"], updated["Balance"]) == (10, 10)


def _payment(customer: str, invoice_id: str, amount: float, total: float | None = None) -> dict:
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": amount if total is None else total,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    }


def test_a_payment_reduces_the_invoice_balance_until_deleted(qbo_sandbox, create, invoice):
    """Applying 60 leaves 40 open; deleting the payment restores 100."""
    payment = create("Payment", _payment("1", invoice["Id"], 60))
    after = qbo_sandbox.api("GET", f"invoice/{invoice['Id']}").json()["Invoice"]
    assert after["Balance"] == 40
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}
    deleted = qbo_sandbox.api("POST", "payment", json=body, params={"operation": "delete"})
    assert deleted.json()["Payment"] == {"domain": "QBO", "status": "Deleted", "Id": payment["Id"]}
    assert qbo_sandbox.api("GET", f"invoice/{invoice['Id']}").json()["Invoice"]["Balance"] == 100


def test_a_voided_payment_no_longer_pays(qbo_sandbox, create, invoice):
    """Voiding a payment zeroes it and reopens the invoice."""
    payment = create("Payment", _payment("1", invoice["Id"], 100))
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
    params = {"operation": "update", "include": "void"}
    voided = qbo_sandbox.api("POST", "payment", json=body, params=params).json()
    assert voided["Payment"]["TotalAmt"] == 0
    assert qbo_sandbox.api("GET", f"invoice/{invoice['Id']}").json()["Invoice"]["Balance"] == 100


@pytest.mark.parametrize(
    ("customer", "amount", "total"), [("2", 10, None), ("1", 150, None), ("1", 50, 40)]
)
def test_a_payment_must_fit_an_open_invoice_of_its_customer(
    qbo_sandbox, invoice, customer, amount, total
):
    """Another customer's invoice, more than its balance, or more than TotalAmt: fault 6000."""
    response = qbo_sandbox.api(
        "POST", "payment", json=_payment(customer, invoice["Id"], amount, total)
    )
    assert (response.status_code, fault_code(response)) == (400, "6000")


def test_a_bill_payment_pays_a_bill_from_a_bank_account(qbo_sandbox, create, bill):
    """A check from a Bank account reduces the bill; a non-bank account is refused."""
    assert (bill["TotalAmt"], bill["Balance"]) == (120, 120)
    body = {
        "VendorRef": {"value": "1"}, "PayType": "Check", "TotalAmt": 70,
        "CheckPayment": {"BankAccountRef": {"value": "1"}},
        "Line": [{"Amount": 70, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }  # fmt: skip
    create("BillPayment", body)
    assert qbo_sandbox.api("GET", f"bill/{bill['Id']}").json()["Bill"]["Balance"] == 50
    body["CheckPayment"] = {"BankAccountRef": {"value": "15"}}
    assert fault_code(qbo_sandbox.api("POST", "billpayment", json=body)) == "6000"


def test_transactions_are_deleted_and_voided(qbo_sandbox, invoice, create):
    """Delete leaves nothing to read (610); void keeps the invoice with zero amounts."""
    other = create("Invoice", {"CustomerRef": {"value": "2"}, "Line": invoice["Line"][:1]})
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    response = qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    assert response.json()["Invoice"]["status"] == "Deleted"
    assert fault_code(qbo_sandbox.api("GET", f"invoice/{invoice['Id']}")) == "610"
    body = {"Id": other["Id"], "SyncToken": other["SyncToken"]}
    voided = qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "void"})
    assert (voided.json()["Invoice"]["TotalAmt"], voided.json()["Invoice"]["Balance"]) == (0, 0)
    bill_void = qbo_sandbox.api("POST", "bill", json=body, params={"operation": "void"})
    assert bill_void.status_code == 400


def test_a_deposited_payment_cannot_change(qbo_sandbox, create, invoice):
    """Once deposited (control plane), editing or deleting the payment is fault 6540."""
    payment = create("Payment", _payment("1", invoice["Id"], 20))
    qbo_sandbox.deposit(payment["Id"])
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}
    for params in ({"operation": "delete"}, {}):
        change = {**body, "sparse": True, "PrivateNote": "x"} if not params else body
        response = qbo_sandbox.api("POST", "payment", json=change, params=params)
        assert (response.status_code, fault_code(response)) == (400, "6540")


def test_requestid_makes_a_write_happen_once(qbo_sandbox):
    """The same requestid returns the first answer and never makes a second object."""
    params = {"requestid": "job-42"}
    first = qbo_sandbox.api("POST", "item", json={"Name": "Live Resin", **SERVICE}, params=params)
    again = qbo_sandbox.api("POST", "item", json={"Name": "Live Resin", **SERVICE}, params=params)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert qbo_sandbox.query("SELECT COUNT(*) FROM Item WHERE Name = 'Live Resin'") == {
        "totalCount": 1
    }


def test_class_refs_follow_the_class_tracking_preferences(qbo_sandbox, create):
    """A line class is allowed (per line is on); a header class needs ClassTrackingPerTxn."""
    detail = {"ItemRef": {"value": "1"}, "ClassRef": {"value": "3"}}
    line = {"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    invoice = create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
    assert (
        invoice["Line"][0]["SalesItemLineDetail"]["ClassRef"]["name"]
        == "Wholesale:Northern California"
    )
    header = {"CustomerRef": {"value": "1"}, "Line": [line], "ClassRef": {"value": "1"}}
    assert fault_code(qbo_sandbox.api("POST", "invoice", json=header)) == "6000"
    prefs = qbo_sandbox.api("GET", "preferences").json()["Preferences"]
    create("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                           "AccountingInfoPrefs": {"ClassTrackingPerTxn": True}})  # fmt: skip
    assert create("Invoice", header)["ClassRef"]["value"] == "1"
    after = qbo_sandbox.api("GET", "preferences").json()["Preferences"]["AccountingInfoPrefs"]
    assert after["ClassTrackingPerTxnLine"] is True


@pytest.mark.parametrize(
    ("method", "path", "data", "code"),
    [
        ("POST", "item", b"{not json", "2010"),
        ("POST", "item", b'{"Name": "X", "Colour": "green"}', "2010"),
        ("GET", "widget/1", None, "500"),
        ("GET", "customer/1/5", None, "500"),
        ("GET", "customer/1.5", None, "2030"),
    ],
)
def test_bad_requests_get_qbo_shaped_400s(qbo_sandbox, method, path, data, code):
    """Malformed JSON, unknown properties, entities or paths, and bad ids: a 400 Fault."""
    headers = {"Content-Type": "application/json"}
    response = qbo_sandbox.api(method, path, data=data, headers=headers)
    assert (response.status_code, fault_code(response)) == (400, code)
    assert response.json()["Fault"]["type"] == "ValidationFault"


def test_an_unexpected_error_is_a_500_fault_not_a_traceback(qbo_sandbox, monkeypatch):
    """An exception inside the sandbox answers QBO's 500 SystemFault."""

    def explode(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(qbo_sandbox.backend, "read", explode)
    response = qbo_sandbox.api("GET", "item/1")
    assert response.status_code == 500
    assert response.json()["Fault"]["type"] == "SystemFault"
    assert "Traceback" not in response.text


def test_company_info_and_preferences_read(qbo_sandbox):
    """GET /companyinfo/{realmId} and GET /preferences answer the company's own objects."""
    info = qbo_sandbox.api("GET", f"companyinfo/{qbo_sandbox.realm_id}").json()["CompanyInfo"]
    assert info["CompanyName"] == "Green Valley Distribution (Sandbox)"
    prefs = qbo_sandbox.api("GET", "preferences").json()["Preferences"]
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is True


def test_requests_session_sees_keep_alive(qbo_sandbox):
    """The server keeps connections open (HTTP/1.1), so a session reuses one socket."""
    session = requests.Session()
    url = qbo_sandbox.api_url() + "/item/1"
    headers = {"Authorization": f"Bearer {qbo_sandbox.token()}"}
    first = session.get(url, headers=headers)
    second = session.get(url, headers=headers)
    assert first.ok and second.ok
    assert first.headers.get("Connection") != "close"


DATED = {
    "Invoice": {"CustomerRef": {"value": "1"}, "Line": [{"Amount": 50, "DetailType":
                "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]},
    "Bill": {"VendorRef": {"value": "1"}, "Line": [{"Amount": 20, "DetailType":
             "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}]},
}  # fmt: skip


@pytest.mark.parametrize("entity", list(DATED))
def test_a_txn_date_with_no_room_for_its_due_date_is_a_6000_naming_txn_date(qbo_sandbox, entity):
    """QBO's date range is undocumented; the sandbox never fails on one (README, Other rules)."""
    body = {**DATED[entity], "TxnDate": "9999-12-31"}

    late = qbo_sandbox.api("POST", entity.lower(), json=body)
    with_due = qbo_sandbox.api("POST", entity.lower(), json={**body, "DueDate": "9999-12-31"})

    assert (late.status_code, fault_code(late)) == (400, "6000")
    assert late.json()["Fault"]["Error"][0]["element"] == "TxnDate"
    assert with_due.status_code == 200, with_due.text
    assert with_due.json()[entity]["DueDate"] == "9999-12-31"


@pytest.mark.parametrize(
    "since", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "99999-01-01T00:00:00"]
)
def test_cdc_and_queries_with_dates_at_the_ends_of_the_calendar_answer_without_a_500(
    qbo_sandbox, since
):
    cdc = qbo_sandbox.api("GET", "cdc", params={"entities": "Invoice", "changedSince": since})
    query = qbo_sandbox.api(
        "GET",
        "query",
        params={"query": f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{since}'"},  # noqa: S608
    )

    assert cdc.status_code in (200, 400)
    assert query.status_code in (200, 400)
