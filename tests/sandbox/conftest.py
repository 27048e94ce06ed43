"""Helpers shared by the sandbox tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.sandbox import contract


def fault_code(response) -> str:
    """The code of the first error of a QBO fault response."""
    return response.json()["Fault"]["Error"][0]["code"]


def schema_misfits(company) -> list[str]:
    """Every stored object (deleted ones too) that is not what QBO answers, with its path."""
    misfits = []
    for store in (company.objects, company.deleted):
        for entity, objects in store.items():
            for obj_id, obj in objects.items():
                try:
                    contract.load().conform(entity, obj, strict=True)
                except contract.SchemaViolation as violation:
                    misfits.append(f"{entity} {obj_id} {violation.path}: {violation.detail}")
    return misfits


@pytest.fixture
def create(qbo_sandbox):
    """POST an object and return it; fails the test unless QBO accepts it."""

    def create(entity: str, body: dict, **params) -> dict:
        response = qbo_sandbox.api("POST", entity.lower(), json=body, params=params)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    return create


@pytest.fixture
def invoice(create):
    """An invoice of 2 x 25.00 + 1 x 50.00 for customer 1 (Mary's Dispensary)."""
    lines = [
        {"DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "9"}, "Qty": 2, "UnitPrice": 25}},
        {"Amount": 50, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}}},
    ]  # fmt: skip
    return create("Invoice", {"CustomerRef": {"value": "1"}, "Line": lines})


@pytest.fixture
def bill(create):
    """A bill of 120.00 from vendor 1 (Emerald Farms), one item line and one account line."""
    lines = [
        {"Amount": 100, "DetailType": "ItemBasedExpenseLineDetail",
         "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "9"}, "Qty": 10, "UnitPrice": 10}},
        {"Amount": 20, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}},
    ]  # fmt: skip
    return create("Bill", {"VendorRef": {"value": "1"}, "Line": lines})


@pytest.fixture
def paid_invoice(create, invoice):
    """The invoice with a payment of 60.00 applied."""
    payment = create(
        "Payment",
        {
            "CustomerRef": {"value": "1"},
            "TotalAmt": 60,
            "PrivateNote": "Check 1182",
            "Line": [{"Amount": 60, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    return invoice, payment


@pytest.fixture
def paid_bill(create, bill):
    """The bill with a check bill payment of 70.00 applied."""
    payment = create(
        "BillPayment",
        {
            "VendorRef": {"value": "1"},
            "PayType": "Check",
            "TotalAmt": 70,
            "CheckPayment": {"BankAccountRef": {"value": "1"}},
            "Line": [{"Amount": 70, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    return bill, payment


def set_other_pref(sandbox, name: str, value: bool) -> None:
    """Turn a Preferences.OtherPrefs flag (such as WarnDuplicateBillNumber) on or off."""
    prefs = sandbox.api("GET", "preferences").json()["Preferences"]
    pairs = [pair for pair in prefs["OtherPrefs"]["NameValue"] if pair["Name"] != name]
    pairs.append({"Name": name, "Value": "true" if value else "false"})
    body = {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True,
            "OtherPrefs": {"NameValue": pairs}}  # fmt: skip
    response = sandbox.api("POST", "preferences", json=body)
    assert response.status_code == 200, response.text


def set_preferences(sandbox, **groups: dict) -> None:
    """Change Preferences with a sparse update: set_preferences(sb, TaxPrefs={...})."""
    prefs = sandbox.api("GET", "preferences").json()["Preferences"]
    body = {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True, **groups}
    response = sandbox.api("POST", "preferences", json=body)
    assert response.status_code == 200, response.text


def number_sales_forms_in_qbo(sandbox) -> None:
    """Turn custom transaction numbers off, as in Intuit's sample company: QBO numbers them."""
    set_preferences(sandbox, SalesFormsPrefs={"CustomTxnNumbers": False})


class Receiver:
    """An app's webhook endpoint on a free port: it records every POST and answers as told."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answers: list[tuple[int, float]] = []  # (status, seconds before answering)
        self.started = threading.Event()  # a POST has arrived (its answer may still wait)
        self.answered = threading.Event()  # ... and has been answered
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                post = {"at": time.monotonic(), "body": body, "headers": headers}
                with receiver.lock:
                    receiver.posts.append(post)
                    status, delay = receiver.answers.pop(0) if receiver.answers else (200, 0)
                receiver.started.set()
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting
                receiver.answered.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/quickbooks/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list:
        with self.lock:
            return [json.loads(post["body"]) for post in self.posts]

    def events(self) -> list[dict]:
        """Every CloudEvent received, in order, whichever post carried it."""
        return [event for body in self.bodies() for event in body]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        """The first `count` posts, once they have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.posts) < count:
            assert time.monotonic() < deadline, f"{len(self.posts)} posts, not {count}"
            time.sleep(0.02)
        return self.posts[:count]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
