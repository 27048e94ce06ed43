"""A client written for Intuit's sandbox company ("Sandbox Company_US_1") runs here unchanged.

Everything goes over plain HTTP with `requests`, as such a client's own integration tests do
(ej2/python-quickbooks `tests/integration/`: list, create, read, update, delete and void, then
read back): no sandbox internals, only the bearer token the control plane mints.
"""
# ruff: noqa: S608 - the statements are QBO's query language, sent to the sandbox, not SQL

from datetime import date, timedelta

import pytest
import requests

DOCUMENT_KINDS = ("Invoice", "Payment", "SalesReceipt", "Estimate", "CreditMemo", "Bill",
                  "BillPayment", "VendorCredit", "PurchaseOrder")  # fmt: skip


class Client:
    """The few lines every QBO client has: a base URL, a bearer token, minorversion, JSON."""

    def __init__(self, sandbox):
        self.base = sandbox.api_url()
        self.http = requests.Session()
        self.http.headers.update({
            "Authorization": f"Bearer {sandbox.token()}",
            "Accept": "application/json", "Content-Type": "application/json",
        })  # fmt: skip

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}/{path}", params={"minorversion": "75"})

    def post(self, entity: str, body: dict, **params) -> requests.Response:
        return self.http.post(
            f"{self.base}/{entity.lower()}", json=body, params={"minorversion": "75", **params}
        )

    def query(self, text: str) -> dict:
        response = self.http.get(f"{self.base}/query", params={"query": text, "minorversion": "75"})
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"]

    def rows(self, text: str, entity: str) -> list[dict]:
        return self.query(text).get(entity, [])

    def write(self, entity: str, body: dict, **params) -> dict:
        response = self.post(entity, body, **params)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def read(self, entity: str, obj_id: str) -> dict:
        response = self.get(f"{entity.lower()}/{obj_id}")
        assert response.status_code == 200, response.text
        return response.json()[entity]


@pytest.fixture
def client(qbo_sandbox) -> Client:
    return Client(qbo_sandbox)


def fault(response: requests.Response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["Fault"]["Error"][0]["code"]


def ref(client: Client, entity: str, name: str) -> dict:
    """A reference found by name, as a client looks its lists up."""
    field = "DisplayName" if entity in {"Customer", "Vendor"} else "Name"
    escaped = name.replace("'", "\\'")
    [row] = client.rows(f"SELECT * FROM {entity} WHERE {field} = '{escaped}'", entity)
    return {"value": row["Id"]}


def test_the_sample_company_holds_every_kind_of_transaction(client):
    """A few of each kind, as a new developer finds in Intuit's sample company."""
    counts = {kind: client.query(f"SELECT COUNT(*) FROM {kind}")["totalCount"]
              for kind in DOCUMENT_KINDS}  # fmt: skip
    assert all(count >= 2 for count in counts.values()), counts
    invoices = client.rows("SELECT * FROM Invoice", "Invoice")
    paid = [i for i in invoices if i["Balance"] == 0]
    part_paid = [i for i in invoices if 0 < i["Balance"] < i["TotalAmt"]]
    unpaid = [i for i in invoices if i["Balance"] == i["TotalAmt"]]
    assert paid and part_paid and unpaid
    bills = client.rows("SELECT * FROM Bill", "Bill")
    assert {b["Balance"] == 0 for b in bills} == {True, False}


def test_the_lists_a_sales_form_needs_are_listed_as_intuits_sample_has_them(client):
    """Payment methods and terms with the ids and names of Intuit's sample company."""
    methods = {m["Id"]: (m["Name"], m["Type"])
               for m in client.rows("SELECT * FROM PaymentMethod", "PaymentMethod")}  # fmt: skip
    assert methods["1"] == ("Cash", "NON_CREDIT_CARD")
    assert methods["2"] == ("Check", "NON_CREDIT_CARD")
    assert methods["7"] == ("Diners Club", "CREDIT_CARD")
    terms = client.rows("SELECT * FROM Term ORDERBY Name", "Term")
    assert [t["Name"] for t in terms] == ["Due on receipt", "Net 10", "Net 15", "Net 30", "Net 60"]
    assert {t["Type"] for t in terms} == {"STANDARD"}
    net_30 = client.read("Term", "3")
    assert (net_30["Name"], net_30["DueDays"]) == ("Net 30", 30)
    preferences = client.get("preferences").json()["Preferences"]
    assert preferences["SalesFormsPrefs"]["DefaultTerms"] == {"value": "3"}
    locations = client.rows("SELECT * FROM Department", "Department")
    assert "Bay Area:Oakland Hub" in {d["FullyQualifiedName"] for d in locations}
    assert client.rows("SELECT * FROM Department WHERE Active = false", "Department")


def test_balances_agree_with_the_payments_applied(client):
    """Each invoice and bill owes its total less what is applied to it; each customer and
    vendor owes its open documents less the credit it has not used."""
    payments = client.rows("SELECT * FROM Payment", "Payment")
    assert {p["PaymentMethodRef"]["value"] for p in payments} <= {"1", "2", "3", "4", "5", "6", "7"}
    applied: dict[str, float] = {}
    for payment in payments:
        for line in payment["Line"]:
            txn = line["LinkedTxn"][0]["TxnId"]
            applied[txn] = applied.get(txn, 0) + line["Amount"]
        assert payment["UnappliedAmt"] == pytest.approx(
            payment["TotalAmt"] - sum(line["Amount"] for line in payment["Line"])
        )
    owed: dict[str, float] = {}
    for invoice in client.rows("SELECT * FROM Invoice", "Invoice"):
        expected = invoice["TotalAmt"] - applied.get(invoice["Id"], 0)
        assert invoice["Balance"] == pytest.approx(expected), invoice["DocNumber"]
        customer = invoice["CustomerRef"]["value"]
        owed[customer] = owed.get(customer, 0) + invoice["Balance"]
    for memo in client.rows("SELECT * FROM CreditMemo", "CreditMemo"):
        customer = memo["CustomerRef"]["value"]
        owed[customer] = owed.get(customer, 0) - memo["Balance"]
    for payment in payments:
        customer = payment["CustomerRef"]["value"]
        owed[customer] = owed.get(customer, 0) - payment["UnappliedAmt"]
    customers = client.rows("SELECT * FROM Customer", "Customer")
    for customer in customers:
        assert customer["Balance"] == pytest.approx(owed.get(customer["Id"], 0))
    parent = next(c for c in customers if any(
        j.get("ParentRef", {}).get("value") == c["Id"] for j in customers))  # fmt: skip
    jobs = [j for j in customers if j.get("ParentRef", {}).get("value") == parent["Id"]]
    assert parent["BalanceWithJobs"] == pytest.approx(
        parent["Balance"] + sum(j["BalanceWithJobs"] for j in jobs)
    )
    assert client.rows("SELECT * FROM Customer WHERE Balance > '0'", "Customer")
    vendors = {v["Id"]: v for v in client.rows("SELECT * FROM Vendor", "Vendor")}
    vendor_owed: dict[str, float] = {}
    for entity, sign in (("Bill", 1), ("VendorCredit", -1)):
        for doc in client.rows(f"SELECT * FROM {entity}", entity):
            vendor = doc["VendorRef"]["value"]
            vendor_owed[vendor] = vendor_owed.get(vendor, 0) + sign * doc["Balance"]
    for vendor_id, vendor in vendors.items():
        assert vendor["Balance"] == pytest.approx(vendor_owed.get(vendor_id, 0))


def test_a_payment_moves_the_customers_balance_but_not_its_synctoken(client):
    """QBO computes Balance; the customer object itself was not edited."""
    [invoice] = client.rows(
        "SELECT * FROM Invoice WHERE Balance > '0' ORDERBY TxnDate DESC MAXRESULTS 1", "Invoice"
    )
    customer_id = invoice["CustomerRef"]["value"]
    before = client.read("Customer", customer_id)
    line = {"Amount": invoice["Balance"],
            "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}  # fmt: skip
    client.write("Payment", {"CustomerRef": {"value": customer_id},
                             "TotalAmt": invoice["Balance"], "Line": [line]})  # fmt: skip
    after = client.read("Customer", customer_id)
    assert after["Balance"] == pytest.approx(before["Balance"] - invoice["Balance"])
    assert after["SyncToken"] == before["SyncToken"]
    assert client.read("Invoice", invoice["Id"])["Balance"] == 0


def test_queries_page_filter_and_sort_as_clients_ask_them(client):
    """STARTPOSITION and MAXRESULTS page; WHERE and ORDERBY filter and sort."""
    everyone = client.rows("SELECT * FROM Customer ORDERBY DisplayName", "Customer")
    first = client.query("SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 3")
    rest = client.rows(
        "SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 4 MAXRESULTS 3", "Customer"
    )
    assert (first["startPosition"], first["maxResults"]) == (1, 3)
    assert [c["Id"] for c in first["Customer"] + rest] == [c["Id"] for c in everyone]
    dated = client.rows("SELECT * FROM Bill WHERE TxnDate >= '2026-05-01' ORDERBY TxnDate DESC",
                        "Bill")  # fmt: skip
    assert dated and all(b["TxnDate"] >= "2026-05-01" for b in dated)
    assert [b["TxnDate"] for b in dated] == sorted((b["TxnDate"] for b in dated), reverse=True)
    mary = ref(client, "Customer", "Mary's Dispensary")
    receipts = client.rows(
        f"SELECT * FROM SalesReceipt WHERE CustomerRef = '{mary['value']}'", "SalesReceipt"
    )
    assert receipts and all(r["CustomerRef"]["value"] == mary["value"] for r in receipts)
    cards = client.rows("SELECT * FROM PaymentMethod WHERE Type = 'CREDIT_CARD'", "PaymentMethod")
    assert len(cards) == 5


def _sale(client: Client, **fields) -> dict:
    item = ref(client, "Item", "Blue Dream 3.5g")
    line = {"DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": item, "Qty": 4, "UnitPrice": 25}}  # fmt: skip
    return {"CustomerRef": ref(client, "Customer", "Green Leaf Wellness"), "Line": [line], **fields}


def _purchase(client: Client, **fields) -> dict:
    item = ref(client, "Item", "Wedding Cake 3.5g")
    detail = {"ItemRef": item, "Qty": 10, "UnitPrice": 13.5}
    line = {"DetailType": "ItemBasedExpenseLineDetail", "ItemBasedExpenseLineDetail": detail}
    return {"VendorRef": ref(client, "Vendor", "Emerald Farms"), "Line": [line], **fields}


@pytest.mark.parametrize(
    ("entity", "body"),
    [("Invoice", _sale), ("Estimate", _sale), ("SalesReceipt", _sale), ("CreditMemo", _sale),
     ("Bill", _purchase), ("VendorCredit", _purchase), ("PurchaseOrder", _purchase)],
)  # fmt: skip
def test_each_document_is_created_read_updated_queried_and_deleted(client, entity, body):
    """The round trip of a client's own integration tests, for every document kind."""
    made = client.write(entity, body(client))
    assert made["TotalAmt"] in (100, 135)
    assert client.read(entity, made["Id"]) == made
    changed = client.write(entity, {"Id": made["Id"], "SyncToken": made["SyncToken"],
                                    "sparse": True, "PrivateNote": "checked"})  # fmt: skip
    assert (changed["PrivateNote"], changed["SyncToken"]) == ("checked", "1")
    found = client.rows(f"SELECT * FROM {entity} WHERE Id = '{made['Id']}'", entity)
    assert found == [changed]
    deleted = client.write(entity, {"Id": made["Id"], "SyncToken": "1"}, operation="delete")
    assert deleted == {"domain": "QBO", "status": "Deleted", "Id": made["Id"]}
    assert fault(client.get(f"{entity.lower()}/{made['Id']}")) == "610"


def test_a_purchase_order_is_numbered_open_and_posts_nothing(client):
    """QBO numbers a purchase order and keeps it Open; the vendor owes nothing more for it."""
    vendor = ref(client, "Vendor", "Emerald Farms")
    owed = client.read("Vendor", vendor["value"])["Balance"]
    order = client.write("PurchaseOrder", _purchase(client))
    numbers = [o["DocNumber"] for o in client.rows("SELECT * FROM PurchaseOrder", "PurchaseOrder")]
    assert order["DocNumber"] == str(max(int(n) for n in numbers))
    assert (order["POStatus"], order["APAccountRef"]["name"]) == ("Open", "Accounts Payable (A/P)")
    assert client.read("Vendor", vendor["value"])["Balance"] == owed
    closed = client.write("PurchaseOrder", {"Id": order["Id"], "SyncToken": order["SyncToken"],
                                            "sparse": True, "POStatus": "Closed"})  # fmt: skip
    assert closed["POStatus"] == "Closed"


def test_python_quickbooks_purchase_order_test_passes_as_written(client):
    """Its test_create picks the first customer, tax code, inventory item, vendor and account
    of Intuit's company (`tests/integration/test_purchaseorder.py`), so a US company must list
    the pseudo tax codes TAX and NON, as Intuit's TaxCode page shows them."""
    customer = client.rows("SELECT * FROM Customer MAXRESULTS 1", "Customer")[0]
    taxcode = client.rows("SELECT * FROM TaxCode MAXRESULTS 1", "TaxCode")[0]
    item = client.rows("SELECT * FROM Item WHERE Type = 'Inventory' MAXRESULTS 1", "Item")[0]
    vendor = client.rows("SELECT * FROM Vendor MAXRESULTS 1", "Vendor")[0]
    account = client.rows("SELECT * FROM Account MAXRESULTS 1", "Account")[0]
    detail = {"BillableStatus": "NotBillable", "UnitPrice": 100, "Qty": 1,
              "CustomerRef": {"value": customer["Id"]}, "TaxCodeRef": {"value": taxcode["Name"]},
              "ItemRef": {"value": item["Id"]}}  # fmt: skip
    order = client.write("PurchaseOrder", {
        "Line": [{"Amount": 100, "DetailType": "ItemBasedExpenseLineDetail",
                  "ItemBasedExpenseLineDetail": detail}],
        "VendorRef": {"value": vendor["Id"]}, "APAccountRef": {"value": account["Id"]},
        "TotalAmt": 100,
    })  # fmt: skip
    read = client.read("PurchaseOrder", order["Id"])
    assert (read["VendorRef"]["value"], read["APAccountRef"]["value"]) == (
        vendor["Id"],
        account["Id"],
    )
    assert read["TotalAmt"] == 100
    line = read["Line"][0]["ItemBasedExpenseLineDetail"]
    assert (line["UnitPrice"], line["Qty"], line["ItemRef"]["value"]) == (100, 1, item["Id"])
    assert line["TaxCodeRef"]["value"] == taxcode["Name"]
    assert {c["Id"] for c in client.rows("SELECT * FROM TaxCode", "TaxCode")} == {"TAX", "NON"}


@pytest.mark.parametrize("entity", ["Payment", "SalesReceipt", "BillPayment"])
def test_payments_and_sales_receipts_are_voided_by_a_sparse_update_with_include_void(
    client, entity
):
    """The form Intuit's SDKs send; the voided one reads back with zero amounts."""
    [target] = client.rows(f"SELECT * FROM {entity} MAXRESULTS 1", entity)
    body = {"Id": target["Id"], "SyncToken": target["SyncToken"], "sparse": True}
    voided = client.write(entity, body, operation="update", include="void")
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    assert client.read(entity, target["Id"])["TotalAmt"] == 0


def test_an_open_invoice_is_voided_with_operation_void(client):
    """Only Invoice takes `operation=void`; the balance it held goes to zero."""
    [invoice] = client.rows("SELECT * FROM Invoice WHERE DocNumber = 'GV-1005'", "Invoice")
    assert invoice["Balance"] == invoice["TotalAmt"] > 0 and not invoice["LinkedTxn"]
    customer = client.read("Customer", invoice["CustomerRef"]["value"])
    voided = client.write("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                          operation="void")  # fmt: skip
    assert (voided["TotalAmt"], voided["Balance"]) == (0, 0)
    after = client.read("Customer", customer["Id"])
    assert after["Balance"] == pytest.approx(customer["Balance"] - invoice["Balance"])


def test_a_term_on_a_sale_sets_its_due_date(client):
    """Without a DueDate, QBO adds the DueDays of the SalesTermRef to the TxnDate."""
    net_15 = ref(client, "Term", "Net 15")
    invoice = client.write("Invoice", _sale(client, TxnDate="2026-07-01", SalesTermRef=net_15))
    assert invoice["DueDate"] == (date(2026, 7, 1) + timedelta(days=15)).isoformat()
    assert invoice["SalesTermRef"] == {"value": net_15["value"], "name": "Net 15"}
    unknown = client.post("Invoice", _sale(client, SalesTermRef={"value": "999"}))
    assert fault(unknown) == "2500"


def test_payment_methods_terms_and_departments_are_made_and_deleted_as_name_lists(client):
    """Created with their defaults, unique by name, deleted by making them inactive."""
    method = client.write("PaymentMethod", {"Name": "Business Check"})
    assert (method["Type"], method["Active"]) == ("NON_CREDIT_CARD", True)
    assert fault(client.post("PaymentMethod", {"Name": "business check"})) == "6240"
    assert fault(client.post("PaymentMethod", {"Name": "A" * 32})) == "2050"
    term = client.write("Term", {"Name": "Term120", "DueDays": "120"})
    assert (term["Type"], term["DueDays"], term["DiscountPercent"]) == ("STANDARD", 120, 0)
    monthly = client.write("Term", {"Name": "10th of the month", "DayOfMonthDue": 10})
    assert monthly["Type"] == "DATE_DRIVEN"
    assert fault(client.post("Term", {"Name": "No due date"})) == "2020"
    assert fault(client.post("Term", {"Name": "Too late", "DueDays": 1000})) == "6000"
    bay_area = ref(client, "Department", "Bay Area")
    store = client.write("Department", {"Name": "San Jose", "ParentRef": bay_area})
    assert (store["FullyQualifiedName"], store["SubDepartment"]) == ("Bay Area:San Jose", True)
    body = {"Id": method["Id"], "SyncToken": method["SyncToken"]}
    assert fault(client.post("PaymentMethod", body, operation="delete")) == "500"
    gone = client.write("PaymentMethod", {**body, "sparse": True, "Active": False})
    assert (gone["Active"], gone["Name"]) == (False, "Business Check")
    names = {m["Name"] for m in client.rows("SELECT * FROM PaymentMethod", "PaymentMethod")}
    assert "Business Check" not in names


def test_preferences_have_every_section_and_take_a_full_update_as_clients_send_it(client):
    """Read every section; write back the whole object with one message changed (as
    python-quickbooks' own test does); read-only preferences keep their value."""
    preferences = client.get("preferences").json()["Preferences"]
    for section in ("AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
                    "EmailMessagesPrefs", "VendorAndPurchasesPrefs", "TimeTrackingPrefs",
                    "TaxPrefs", "CurrencyPrefs", "ReportPrefs", "OtherPrefs"):  # fmt: skip
        assert preferences[section], section
    assert preferences["OtherPrefs"]["NameValue"][0]["Name"] == (
        "SalesFormsPrefs.DefaultCustomerMessage"
    )
    assert client.rows("SELECT * FROM Preferences", "Preferences") == [preferences]
    preferences["EmailMessagesPrefs"]["EstimateMessage"]["Subject"] = "Your estimate"
    preferences["AccountingInfoPrefs"]["FirstMonthOfFiscalYear"] = "July"
    saved = client.write("Preferences", preferences)
    assert saved["EmailMessagesPrefs"]["EstimateMessage"]["Subject"] == "Your estimate"
    assert saved["AccountingInfoPrefs"]["FirstMonthOfFiscalYear"] == "January"
    assert saved["SyncToken"] == str(int(preferences["SyncToken"]) + 1)
    assert fault(client.post("Preferences", preferences)) == "5010"


def test_company_info_is_read_by_realm_and_updated_sparsely(client, qbo_sandbox):
    """GET companyinfo/{realmId}; a sparse update changes what it names, not the start date."""
    info = client.read("CompanyInfo", qbo_sandbox.realm_id)
    assert info["CompanyName"] == qbo_sandbox.company_name
    names = {pair["Name"] for pair in info["NameValue"]}
    assert {"OfferingSku", "SubscriptionStatus", "ItemCategoriesFeature"} <= names
    assert client.rows("SELECT * FROM CompanyInfo", "CompanyInfo") == [info]
    body = {"Id": info["Id"], "SyncToken": info["SyncToken"], "sparse": True,
            "LegalName": "Green Valley Distribution Inc.",
            "CompanyStartDate": "2001-01-01"}  # fmt: skip
    saved = client.write("CompanyInfo", body)
    assert saved["LegalName"] == "Green Valley Distribution Inc."
    assert saved["CompanyStartDate"] == info["CompanyStartDate"]
    whole = {k: v for k, v in saved.items() if k != "CompanyAddr"}
    assert fault(client.post("CompanyInfo", whole)) == "2020"
