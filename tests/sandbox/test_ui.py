"""The sandbox company's own screens (/app/): every change made there goes through the backend
as an API write does, so the API, the CDC answer and the webhooks see it; forms are protected
by the process's token, and every value is escaped."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from integrations.outbox.admin import QBO_APP_PATHS, qbo_app_url
from integrations.sandbox.control import ROUTES

REALM = "9341453050298375"
SCRIPT = "<script>alert(1)</script>"
WINDOW = 0.2  # seconds the sandbox gathers changes before it posts them


class Forms(HTMLParser):
    """The forms of a page: their URL and fields (the button's action included)."""

    def __init__(self, text: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"url": attrs.get("action"), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")


class Screens:
    """A person at the sandbox's screens: open a page, fill in one of its forms, submit it."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.http = sandbox.http

    def open(self, path: str):
        response = self.http.get(self.sandbox.url(path))
        assert response.status_code == 200, response.text
        return response

    def submit(self, page, action: str, **typed):
        """Submit the form of `page` whose action is `action`; the answer, redirects followed."""
        (form,) = [f for f in Forms(page.text).forms if f["fields"].get("action") == action]
        return self.http.post(urljoin(page.url, form["url"]), data={**form["fields"], **typed})


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.text).group(1)


def error(response) -> str:
    found = re.search(r"<p class=error role=alert>(.*?)</p>", response.text, re.S)
    return found.group(1) if found else ""


def notice(response) -> str:
    found = re.search(r"<p class=notice role=status>(.*?)</p>", response.text)
    return found.group(1) if found else ""


def read(sandbox, entity: str, obj_id: str) -> dict:
    return sandbox.api("GET", f"{entity.lower()}/{obj_id}").json()[entity]


def cdc(sandbox, entities: str, since: str) -> dict[str, list[dict]]:
    answer = sandbox.api("GET", "cdc", params={"entities": entities, "changedSince": since})
    assert answer.status_code == 200, answer.text
    found: dict[str, list[dict]] = {}
    for response in answer.json()["CDCResponse"][0]["QueryResponse"]:
        for entity, rows in response.items():
            if isinstance(rows, list):
                found[entity] = rows
    return found


@pytest.fixture
def screens(qbo_sandbox):
    return Screens(qbo_sandbox)


@pytest.fixture
def before(qbo_sandbox) -> str:
    """A time just before the test's changes, for a CDC read."""
    return (qbo_sandbox.backend.now() - timedelta(seconds=1)).isoformat()


# ---- what the screens show ----


def test_the_lists_show_the_name_lists_and_the_documents_with_their_lines_and_totals(
    qbo_sandbox, screens, paid_invoice
):
    invoice, payment = paid_invoice
    expected = {
        "/app/items": ["Distribution Fee", "Lab Testing Fee", "Discontinued Tincture"],
        "/app/chartofaccounts": ["Sales of Product Income", "Shipping and Delivery:Fuel"],
        "/app/classes": ["Wholesale:Southern California:Los Angeles", "Events"],
        "/app/customers": ["Mary&#x27;s Dispensary", "Pacific Greens &amp; Co."],
        "/app/vendors": ["Emerald Farms", "Old Leaf Supply"],
    }
    for path, names in expected.items():
        page = screens.open(path).text
        assert all(name in page for name in names), (path, names)

    listed = screens.open("/app/transactions").text
    assert f"Invoice {invoice['Id']}</a>" in listed and f"Payment {payment['Id']}</a>" in listed

    page = screens.open(f"/app/invoice?txnId={invoice['Id']}")
    assert heading(page) == f"Invoice {invoice.get('DocNumber') or invoice['Id']}"
    lines = re.findall(r"<tr class=\"\"><td>(\d+)</td><td>(.*?)</td>", page.text)
    assert [(number, re.sub("<[^>]+>", "", what)) for number, what in lines[:2]] == [
        ("1", invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"]),
        ("2", invoice["Line"][1]["SalesItemLineDetail"]["ItemRef"]["name"]),
    ]
    assert "<strong id=total>100.00</strong>" in page.text
    assert "<span id=balance>40.00</span>" in page.text
    assert f"Payment {payment['Id']}</a>" in page.text  # its linked payment, linked

    paid = screens.open(f"/app/recvpayment?txnId={payment['Id']}").text
    assert f"Invoice {invoice['Id']}</a>" in paid and "<strong id=total>60.00</strong>" in paid


def test_every_open_in_quickbooks_link_of_the_product_opens_that_objects_page(
    qbo_sandbox, screens, settings, paid_invoice, paid_bill, create
):
    """In local mode, the product's "Open in QuickBooks" links land on the sandbox's screens."""
    invoice, payment = paid_invoice
    bill, bill_payment = paid_bill
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    credit = create("CreditMemo", {"CustomerRef": {"value": "1"}, "Line": [line]})
    vendor_credit = create("VendorCredit", {"VendorRef": {"value": "1"}, "Line": [
        {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}]})  # fmt: skip
    made = {
        "Invoice": invoice, "Payment": payment, "Bill": bill, "BillPayment": bill_payment,
        "CreditMemo": credit, "VendorCredit": vendor_credit,
        "Customer": read(qbo_sandbox, "Customer", "1"), "Vendor": read(qbo_sandbox, "Vendor", "1"),
        "Item": read(qbo_sandbox, "Item", "2"),
    }  # fmt: skip
    assert set(made) == set(QBO_APP_PATHS)
    for entity, obj in made.items():
        url = qbo_app_url(entity, obj["Id"])
        assert url.startswith(settings.QBO_APP_BASE_URL)
        page = qbo_sandbox.http.get(url)
        assert page.status_code == 200, (entity, page.text)
        assert entity in heading(page)
        assert f'<tr class=""><td>Id</td><td>{obj["Id"]}</td></tr>' in page.text


def test_an_object_the_company_does_not_hold_is_not_found(qbo_sandbox):
    for path in ("/app/items?itemId=999", "/app/invoice?txnId=999", "/app/nowhere"):
        assert qbo_sandbox.http.get(qbo_sandbox.url(path)).status_code == 404, path
    assert qbo_sandbox.http.get(qbo_sandbox.url("/app/?realm=1")).status_code == 404


def test_the_screens_make_no_api_request_and_take_no_share_of_the_limits(qbo_sandbox, screens):
    qbo_sandbox.configure(limits=True, rate_per_minute=1)
    for path in ("/app/", "/app/items", "/app/items?itemId=2", "/app/settings"):
        screens.open(path)
    assert qbo_sandbox.api_requests() == []
    assert qbo_sandbox.api("GET", "item/2").status_code == 200


# ---- items ----


def test_an_item_made_inactive_there_is_a_delete_in_the_cdc_answer_with_a_new_synctoken(
    qbo_sandbox, screens, before
):
    page = screens.open("/app/items?itemId=2")
    answer = screens.submit(page, "inactivate")

    assert answer.status_code == 200
    assert notice(answer) == "Item made inactive."
    item = read(qbo_sandbox, "Item", "2")
    assert (item["Active"], item["Name"], item["SyncToken"]) == (
        False, "Distribution Fee (deleted)", "1",
    )  # fmt: skip
    (changed,) = cdc(qbo_sandbox, "Item", before)["Item"]
    assert (changed["Id"], changed["Active"]) == ("2", False)
    assert changed["MetaData"]["LastUpdatedTime"] > changed["MetaData"]["CreateTime"]
    assert "Make active" in answer.text  # the page now offers the way back


def test_an_item_made_active_again_there_gets_its_name_back_and_is_in_the_cdc_answer(
    qbo_sandbox, screens, before
):
    inactive = read(qbo_sandbox, "Item", "5")  # Discontinued Tincture, seeded inactive
    assert inactive["Active"] is False

    answer = screens.submit(screens.open("/app/items?itemId=5"), "reactivate")

    assert notice(answer) == "Item made active."
    item = read(qbo_sandbox, "Item", "5")
    assert (item["Active"], item["Name"]) == (True, "Discontinued Tincture")
    assert int(item["SyncToken"]) == int(inactive["SyncToken"]) + 1
    assert [row["Id"] for row in cdc(qbo_sandbox, "Item", before)["Item"]] == ["5"]


def test_an_item_whose_name_was_taken_meanwhile_is_not_made_active_as_qbo_refuses_6240(
    qbo_sandbox, screens, create
):
    create("Item", {"Name": "Discontinued Tincture", "Type": "Service",
                    "IncomeAccountRef": {"value": "16"}})  # fmt: skip

    answer = screens.submit(screens.open("/app/items?itemId=5"), "reactivate")

    assert answer.status_code == 400
    assert "code 6240" in error(answer)
    assert read(qbo_sandbox, "Item", "5")["Active"] is False


def test_an_item_renamed_there_is_renamed_in_the_api(qbo_sandbox, screens):
    answer = screens.submit(screens.open("/app/items?itemId=2"), "rename", name="Delivery Fee")

    assert notice(answer) == "Item renamed."
    assert heading(answer) == "Item: Delivery Fee"
    assert read(qbo_sandbox, "Item", "2")["Name"] == "Delivery Fee"


def test_a_name_another_item_holds_is_refused_with_qbos_6240_and_nothing_changes(
    qbo_sandbox, screens
):
    answer = screens.submit(screens.open("/app/items?itemId=2"), "rename", name="lab testing fee")

    assert answer.status_code == 400
    assert "code 6240" in error(answer)
    assert "Another product or service is using this name" in error(answer)
    assert 'value="lab testing fee"' in answer.text  # what was typed is still in the form
    item = read(qbo_sandbox, "Item", "2")
    assert (item["Name"], item["SyncToken"]) == ("Distribution Fee", "0")


def test_a_blank_name_is_refused_in_words_and_nothing_changes(qbo_sandbox, screens):
    answer = screens.submit(screens.open("/app/items?itemId=2"), "rename", name="  ")

    assert answer.status_code == 400
    assert error(answer) == "Enter a name: nothing was changed."
    assert read(qbo_sandbox, "Item", "2")["SyncToken"] == "0"


def test_an_item_created_there_is_in_the_api_with_its_accounts_and_prices(
    qbo_sandbox, screens, before
):
    answer = screens.submit(
        screens.open("/app/items"), "create", name="Packaging Fee", type="Service",
        income_account="16", expense_account="19", unit_price="12.50", purchase_cost="4",
    )  # fmt: skip

    assert notice(answer) == "Item created."
    (item,) = qbo_sandbox.query("select * from Item where Name = 'Packaging Fee'")["Item"]
    assert heading(answer) == "Item: Packaging Fee"
    assert (item["Type"], item["UnitPrice"], item["PurchaseCost"]) == ("Service", 12.5, 4)
    assert (item["IncomeAccountRef"]["value"], item["ExpenseAccountRef"]["value"]) == ("16", "19")
    assert [row["Name"] for row in cdc(qbo_sandbox, "Item", before)["Item"]] == ["Packaging Fee"]


def test_an_item_qbo_refuses_is_not_created_and_the_form_keeps_what_was_typed(qbo_sandbox, screens):
    count = len(qbo_sandbox.company.objects["Item"])
    answer = screens.submit(
        screens.open("/app/items"), "create", name="Odd Fee", type="Service",
        income_account="16", unit_price="twelve",
    )  # fmt: skip

    assert answer.status_code == 400
    assert "code 2010" in error(answer)
    assert 'value="twelve"' in answer.text and 'value="Odd Fee"' in answer.text
    assert '<option value="16" selected>' in answer.text
    assert len(qbo_sandbox.company.objects["Item"]) == count


# ---- preferences ----


def test_class_tracking_turned_off_and_on_there_changes_the_preferences(qbo_sandbox, screens):
    page = screens.open("/app/settings")
    assert "<strong id=class-tracking>On, one to each row in transaction</strong>" in page.text

    answer = screens.submit(page, "class_tracking")  # the checkbox left unticked
    prefs = qbo_sandbox.api("GET", "preferences").json()["Preferences"]
    assert notice(answer) == "Class tracking saved."
    assert "<strong id=class-tracking>Off</strong>" in answer.text
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is False
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxn"] is False
    assert prefs["SyncToken"] == "1"

    answer = screens.submit(answer, "class_tracking", track_classes="on", assign="transaction")
    prefs = qbo_sandbox.api("GET", "preferences").json()["Preferences"]
    assert "<strong id=class-tracking>On, one to entire transaction</strong>" in answer.text
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxn"] is True
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is False
    assert prefs["AccountingInfoPrefs"]["CustomerTerminology"] == "Customers"  # the rest kept


# ---- documents ----


def test_an_invoices_due_date_and_memo_edited_there_are_in_the_api_and_the_cdc_answer(
    qbo_sandbox, screens, invoice, before
):
    page = screens.open(f"/app/invoice?txnId={invoice['Id']}")
    answer = screens.submit(page, "edit", due_date="2026-12-24", memo="Deliver after noon")

    assert notice(answer) == "Invoice saved."
    edited = read(qbo_sandbox, "Invoice", invoice["Id"])
    assert (edited["DueDate"], edited["PrivateNote"]) == ("2026-12-24", "Deliver after noon")
    assert edited["SyncToken"] == "1" and edited["TotalAmt"] == invoice["TotalAmt"]
    (changed,) = cdc(qbo_sandbox, "Invoice", before)["Invoice"]
    assert (changed["Id"], changed["DueDate"]) == (invoice["Id"], "2026-12-24")


@pytest.mark.parametrize(
    ("due_date", "refusal"),
    [("2026-02-30", "code 2010"), ("", "Enter a due date: nothing was changed.")],
)
def test_a_due_date_that_is_no_date_is_refused_and_the_invoice_is_unchanged(
    qbo_sandbox, screens, invoice, due_date, refusal
):
    page = screens.open(f"/app/invoice?txnId={invoice['Id']}")
    answer = screens.submit(page, "edit", due_date=due_date, memo="kept in the form")

    assert answer.status_code == 400
    assert refusal in error(answer)
    assert ">kept in the form</textarea>" in answer.text
    assert read(qbo_sandbox, "Invoice", invoice["Id"])["SyncToken"] == "0"


def test_a_document_deleted_there_is_gone_from_the_api_and_deleted_in_the_cdc_answer(
    qbo_sandbox, screens, bill, before
):
    answer = screens.submit(screens.open(f"/app/bill?txnId={bill['Id']}"), "delete")

    assert notice(answer) == "Transaction deleted."
    assert heading(answer) == "Transactions"
    assert qbo_sandbox.api("GET", f"bill/{bill['Id']}").status_code == 400
    (gone,) = cdc(qbo_sandbox, "Bill", before)["Bill"]
    assert (gone["Id"], gone["status"]) == (bill["Id"], "Deleted")
    page = qbo_sandbox.http.get(qbo_sandbox.url(f"/app/bill?txnId={bill['Id']}"))
    assert page.status_code == 404 and "was deleted on" in page.text


def test_a_document_with_a_payment_applied_is_not_deleted_as_qbo_refuses_it(
    qbo_sandbox, screens, paid_invoice
):
    invoice, _ = paid_invoice
    answer = screens.submit(screens.open(f"/app/invoice?txnId={invoice['Id']}"), "delete")

    assert answer.status_code == 400
    assert "You must unlink any linked transactions" in error(answer)
    assert "code 6000" in error(answer)
    assert read(qbo_sandbox, "Invoice", invoice["Id"])["Balance"] == 40


def test_a_page_left_open_while_the_object_changed_is_refused_with_qbos_5010(qbo_sandbox, screens):
    page = screens.open("/app/items?itemId=2")
    item = read(qbo_sandbox, "Item", "2")
    changed = {"Id": "2", "SyncToken": item["SyncToken"], "sparse": True, "Description": "API"}
    assert qbo_sandbox.api("POST", "item", json=changed).status_code == 200

    answer = screens.submit(page, "inactivate")

    assert answer.status_code == 400
    assert "code 5010" in error(answer)
    assert read(qbo_sandbox, "Item", "2")["Active"] is True


# ---- webhooks ----


def test_a_change_made_there_is_posted_as_a_webhook(qbo_sandbox, screens, receiver):
    qbo_sandbox.token()  # an app holds a grant: Intuit notifies connected companies only
    qbo_sandbox.webhooks(url=receiver.url, verifier_token="ui-token", window_s=WINDOW)

    screens.submit(screens.open("/app/items?itemId=2"), "inactivate")

    (post,) = receiver.wait_for(1)
    (event,) = json.loads(post["body"])
    assert (event["type"], event["intuitentityid"], event["intuitaccountid"]) == (
        "qbo.item.deleted.v1", "2", REALM,
    )  # fmt: skip


# ---- forms and escaping ----


@pytest.mark.parametrize("token", [None, "", "a-token-of-another-process"])
def test_a_form_without_this_processs_token_changes_nothing(qbo_sandbox, token):
    form = {"action": "inactivate", "sync_token": "0"}
    if token is not None:
        form["csrf"] = token

    answer = qbo_sandbox.http.post(qbo_sandbox.url("/app/items?itemId=2"), data=form)

    assert answer.status_code == 403
    assert "Nothing was changed" in answer.text
    assert read(qbo_sandbox, "Item", "2")["Active"] is True


def test_pages_run_no_script_and_cannot_be_framed(screens):
    headers = screens.open("/app/items").headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_every_value_is_escaped(qbo_sandbox, screens, create, invoice):
    item = create("Item", {"Name": f"{SCRIPT} Gummies", "Type": "Service",
                           "IncomeAccountRef": {"value": "16"}})  # fmt: skip
    customer = create("Customer", {"DisplayName": f"{SCRIPT} & Sons"})
    note = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True,
            "PrivateNote": f'"><img src=x onerror=alert(1)>{SCRIPT}'}  # fmt: skip
    assert qbo_sandbox.api("POST", "invoice", json=note).status_code == 200

    pages = [
        "/app/items", f"/app/items?itemId={item['Id']}", "/app/customers",
        f"/app/customerdetail?nameId={customer['Id']}", f"/app/invoice?txnId={invoice['Id']}",
    ]  # fmt: skip
    for path in pages:
        text = screens.open(path).text
        assert "<script" not in text and "<img" not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    renamed = screens.submit(screens.open(f"/app/items?itemId={item['Id']}"), "rename",
                             name=f"{SCRIPT} Mints")  # fmt: skip
    assert "<script" not in renamed.text
    assert read(qbo_sandbox, "Item", item["Id"])["Name"] == f"{SCRIPT} Mints"


# ---- the control plane and the consent page ----


def test_the_control_plane_lists_its_endpoints_as_json_for_a_script(qbo_sandbox):
    answer = qbo_sandbox.http.get(qbo_sandbox.url("/_sandbox/"))

    assert answer.headers["Content-Type"].startswith("application/json")
    listed = {(row["method"], row["path"]) for row in answer.json()["endpoints"]}
    assert listed == {(method, f"/_sandbox/{name}") for method, name in ROUTES}
    assert all(row["description"] for row in answer.json()["endpoints"])
    assert answer.json()["screens"] == "/app/"


def test_the_control_plane_lists_its_endpoints_as_a_page_for_a_browser(qbo_sandbox):
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    answer = qbo_sandbox.http.get(qbo_sandbox.url("/_sandbox/"), headers=browser)

    assert answer.headers["Content-Type"].startswith("text/html")
    assert '<a href="/_sandbox/state">/_sandbox/state</a>' in answer.text
    assert "<td>/_sandbox/fail-next</td>" in answer.text
    as_json = qbo_sandbox.http.get(qbo_sandbox.url("/_sandbox/?format=json"), headers=browser)
    assert len(as_json.json()["endpoints"]) == len(ROUTES)


def test_the_consent_page_links_the_companys_screens(qbo_sandbox):
    params = {
        "client_id": qbo_sandbox.client_id, "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting", "state": "s",
        "redirect_uri": "http://127.0.0.1:1/callback",
    }  # fmt: skip
    page = qbo_sandbox.http.get(qbo_sandbox.url("/connect/oauth2"), params=params)

    assert '<a href="/app/" target=_blank>Open the sandbox company</a>' in page.text
    assert heading(qbo_sandbox.http.get(qbo_sandbox.url("/app/"))) == qbo_sandbox.company_name
