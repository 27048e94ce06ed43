"""Throttling, latency, injected failures and the /_sandbox/ control plane."""

import threading
import time

import pytest
import requests

from integrations.sandbox.backend import Backend, load_state, save_state
from integrations.sandbox.faults import QboFault
from tests.sandbox.conftest import fault_code

ITEM = {"Name": "Dropped Item", "Type": "Service", "IncomeAccountRef": {"value": "16"}}


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/xml")
    assert '<Error code="3001">' in response.text
    assert response.headers["intuit_tid"]


def test_limits_are_off_in_the_fixture(qbo_sandbox):
    """Unit tests are never throttled unless they turn limits on."""
    assert qbo_sandbox.state()["config"]["limits"] is False


def test_requests_per_minute_are_throttled_with_429(qbo_sandbox):
    """Past the per-minute limit a realm gets 429 (XML); a minute later it is served again."""
    qbo_sandbox.configure(limits=True, rate_per_minute=3)
    assert [qbo_sandbox.api("GET", "item/1").status_code for _ in range(3)] == [200] * 3
    _assert_throttled(qbo_sandbox.api("GET", "item/1"))
    qbo_sandbox.advance_clock(61)
    assert qbo_sandbox.api("GET", "item/1").status_code == 200


def test_batches_per_minute_are_throttled(qbo_sandbox):
    """The batch limit is separate from (and lower than) the request limit."""
    qbo_sandbox.configure(limits=True, batch_per_minute=1)
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Class"}]}
    assert qbo_sandbox.api("POST", "batch", json=body).status_code == 200
    _assert_throttled(qbo_sandbox.api("POST", "batch", json=body))
    assert qbo_sandbox.api("GET", "item/1").status_code == 200


def test_concurrent_requests_beyond_the_limit_are_throttled(qbo_sandbox):
    """With one request in flight and a limit of one, a second gets 429."""
    qbo_sandbox.configure(limits=True, concurrent=1, latency_ms=400)
    token = qbo_sandbox.token()
    url = qbo_sandbox.api_url() + "/item/1"
    statuses = []

    def call():
        statuses.append(
            requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code
        )

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429]


def test_latency_delays_every_api_call(qbo_sandbox):
    """latency_ms is added to each API request."""
    qbo_sandbox.configure(latency_ms=150)
    started = time.perf_counter()
    qbo_sandbox.api("GET", "item/1")
    assert time.perf_counter() - started >= 0.15


def test_fail_next_answers_a_fault_for_matching_requests_only(qbo_sandbox):
    """A rule fires on the requests it matches, `times` times, shaped as QBO's 500."""
    qbo_sandbox.fail_next(entity="Item", operation="create", status=503, times=2)
    assert qbo_sandbox.api("GET", "item/1").status_code == 200
    for _ in range(2):
        response = qbo_sandbox.api("POST", "item", json=ITEM)
        assert response.status_code == 503
        assert response.json()["Fault"]["type"] == "SystemFault"
    assert qbo_sandbox.api("POST", "item", json=ITEM).status_code == 200


def test_fail_next_can_inject_a_validation_fault_by_path(qbo_sandbox):
    """status + code gives a ValidationFault with that code."""
    qbo_sandbox.fail_next(method="GET", path="/item/2", status=400, code="6000", detail="Nope")
    assert qbo_sandbox.api("GET", "item/1").status_code == 200
    response = qbo_sandbox.api("GET", "item/2")
    assert (response.status_code, fault_code(response)) == (400, "6000")


def test_fail_next_can_delay(qbo_sandbox):
    """delay_ms holds the request, then serves it."""
    qbo_sandbox.fail_next(operation="read", delay_ms=200)
    started = time.perf_counter()
    assert qbo_sandbox.api("GET", "item/1").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_drop_after_commit_writes_then_hangs_up(qbo_sandbox):
    """The write happens but no answer comes; a retry with the requestid gets the object."""
    qbo_sandbox.fail_next(operation="create", drop_after_commit=True)
    params = {"requestid": "push-7"}
    with pytest.raises(requests.ConnectionError):
        qbo_sandbox.api("POST", "item", json=ITEM, params=params)
    count = "SELECT COUNT(*) FROM Item WHERE Name = 'Dropped Item'"
    assert qbo_sandbox.query(count) == {"totalCount": 1}
    retry = qbo_sandbox.api("POST", "item", json=ITEM, params=params)
    assert retry.status_code == 200
    assert retry.json()["Item"]["Name"] == "Dropped Item"
    assert qbo_sandbox.query(count) == {"totalCount": 1}


def test_state_has_counts_and_a_request_log(qbo_sandbox):
    """GET /_sandbox/state: objects per entity per realm, and each request with its requestid."""
    qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "r-1"})
    state = qbo_sandbox.state()
    realm = state["realms"][qbo_sandbox.realm_id]
    assert realm["company"] == "Green Valley Distribution (Sandbox)"
    assert realm["objects"]["Item"] == 20
    assert {"Bank", "Accounts Receivable", "Other Current Asset"} <= {
        a["AccountType"] for a in qbo_sandbox.company.objects["Account"].values()
    }
    entry = qbo_sandbox.api_requests(requestid="r-1")[0]
    assert (entry["method"], entry["status"], entry["entity"], entry["operation"]) == (
        "POST",
        200,
        "Item",
        "create",
    )
    assert entry["path"].endswith("/item") and entry["time"] and entry["intuit_tid"]


def test_reset_and_seed(qbo_sandbox):
    """reset re-seeds (sample or empty, plus N items); seed adds another company."""
    qbo_sandbox.reset(seed="empty", items=5)
    objects = qbo_sandbox.state()["realms"][qbo_sandbox.realm_id]["objects"]
    assert objects["Item"] == 5 and "Customer" not in objects
    qbo_sandbox.control("seed", realm_id="42", company_name="Second Co (Sandbox)")
    assert qbo_sandbox.query("SELECT COUNT(*) FROM Vendor", realm_id="42") == {"totalCount": 5}


def test_every_account_type_class_nesting_and_item_type_is_seeded(qbo_sandbox):
    """The sample company has each AccountType, nested classes, and each item type."""
    company = qbo_sandbox.company
    account_types = {a["AccountType"] for a in company.objects["Account"].values()}
    assert len(account_types) == 15
    # QBO's Class has no Level (Intuit's schema): the depth shows in the qualified name.
    levels = {c["FullyQualifiedName"].count(":") for c in company.objects["Class"].values()}
    assert levels == {0, 1, 2}
    kinds = {(i["Type"], i["Active"]) for i in company.objects["Item"].values()}
    for kind in ("Inventory", "Category", "Group", "NonInventory", "Service"):
        assert {(kind, True), (kind, False)} <= kinds


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [("nope", {}, 404), ("seed", {"seed": "huge"}, 400), ("fail-next", {"entity": "Item"}, 400)],
)
def test_control_plane_refuses_bad_requests(qbo_sandbox, path, body, status):
    """Unknown endpoints are 404; bad bodies are 400 with an error."""
    response = qbo_sandbox.http.post(qbo_sandbox.url(f"/_sandbox/{path}"), json=body)
    assert response.status_code == status


def test_state_survives_a_restart_through_the_state_file(qbo_sandbox, tmp_path):
    """save_state then load_state restores companies, links and tokens (manage.py --state-file)."""
    token = qbo_sandbox.token()
    qbo_sandbox.api("POST", "item", json=ITEM)
    path = tmp_path / "state.json"
    save_state(qbo_sandbox.backend, path)
    restored = Backend()
    assert load_state(restored, path)
    assert restored.oauth.check_access(token) == (qbo_sandbox.realm_id, "")
    result = restored.query(qbo_sandbox.realm_id, "SELECT * FROM Item WHERE Name = 'Dropped Item'")
    assert result["QueryResponse"]["Item"][0]["Name"] == "Dropped Item"
    duplicate = {**ITEM, "Name": "dropped item"}
    with pytest.raises(QboFault, match="6240"):
        restored.write(qbo_sandbox.realm_id, "item", duplicate, None)
