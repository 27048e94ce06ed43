"""Faults QBO answers that the sandbox never produced, and what a repeated requestid gets."""

import pytest

from tests.sandbox.conftest import fault_code

SERVICE = {"Type": "Service", "IncomeAccountRef": {"value": "16"}}


def _create_item(sandbox, name: str, requestid: str):
    return sandbox.api(
        "POST", "item", json={"Name": name, **SERVICE}, params={"requestid": requestid}
    )


def test_a_fault_is_replayed_for_its_requestid_even_after_the_cause_is_fixed(qbo_sandbox):
    """QBO keeps its answer per requestid, a fault included: only a new requestid tries again."""
    first = _create_item(qbo_sandbox, "Services", "job-9")  # the sample company has "Services"
    assert (first.status_code, fault_code(first)) == (400, "6240")
    [services] = qbo_sandbox.query("SELECT * FROM Item WHERE Name = 'Services'")["Item"]
    renamed = {"Id": services["Id"], "SyncToken": services["SyncToken"], "sparse": True,
               "Name": "Services (old)"}  # fmt: skip
    assert qbo_sandbox.api("POST", "item", json=renamed).status_code == 200

    again = _create_item(qbo_sandbox, "Services", "job-9")
    assert again.status_code == 400 and again.json() == first.json()
    fresh = _create_item(qbo_sandbox, "Services", "job-9-2")
    assert fresh.status_code == 200 and fresh.json()["Item"]["Name"] == "Services"


def test_an_injected_fault_on_a_write_is_kept_for_its_requestid_like_a_real_one(qbo_sandbox):
    qbo_sandbox.fail_next(entity="Item", operation="create", status=400, code="6000")
    first = _create_item(qbo_sandbox, "Rosin", "job-10")
    assert (first.status_code, fault_code(first)) == (400, "6000")

    again = _create_item(qbo_sandbox, "Rosin", "job-10")  # no rule left: QBO's stored answer
    assert again.status_code == 400 and again.json() == first.json()
    assert qbo_sandbox.query("SELECT COUNT(*) FROM Item WHERE Name = 'Rosin'") == {"totalCount": 0}


def test_a_server_error_is_not_kept_so_the_same_requestid_goes_through_later(qbo_sandbox):
    """A 5xx is no answer to the write (Intuit: resubmit once), so a retry is served anew."""
    qbo_sandbox.fail_next(entity="Item", operation="create", status=503)
    assert _create_item(qbo_sandbox, "Badder", "job-11").status_code == 503
    retry = _create_item(qbo_sandbox, "Badder", "job-11")
    assert retry.status_code == 200 and retry.json()["Item"]["Name"] == "Badder"


@pytest.mark.parametrize(
    ("name", "status", "code", "message", "fault_type"),
    [
        ("authorization_failure", 401, "120", "Authorization Failure", "AuthorizationFault"),
        ("subscription_ended", 400, "6190", "Invalid Company Status", "ValidationFault"),
        ("books_closed", 400, "6210", "Account Period Closed", "ValidationFault"),
        ("inactive_reference", 400, "2500", "Invalid Reference Id", "ValidationFault"),
    ],
)
def test_named_faults_come_in_qbos_own_shape_and_wording(
    qbo_sandbox, name, status, code, message, fault_type
):
    qbo_sandbox.fail_next(entity="Item", operation="create", fault=name)
    response = _create_item(qbo_sandbox, "Shatter", "job-12")
    fault = response.json()["Fault"]
    assert response.status_code == status
    assert (fault["type"], fault["Error"][0]["code"], fault["Error"][0]["Message"]) == (
        fault_type,
        code,
        message,
    )
    assert fault["Error"][0]["Detail"]


def test_the_wording_of_each_named_fault_is_the_one_intuit_gives(qbo_sandbox):
    details = {}
    for name in ("authorization_failure", "subscription_ended", "books_closed"):
        qbo_sandbox.fail_next(operation="create", fault=name)
        details[name] = _create_item(qbo_sandbox, "Wax", f"w-{name}").json()["Fault"]["Error"][0]
    assert (
        "You do not have access to use QuickBooks Online"
        in details["authorization_failure"]["Detail"]
    )
    assert "subscription period ended" in details["subscription_ended"]["Detail"]
    assert details["books_closed"]["Detail"].startswith("The account period has closed")


def test_an_unknown_named_fault_is_refused(qbo_sandbox):
    response = qbo_sandbox.http.post(
        qbo_sandbox.url("/_sandbox/fail-next"), json={"fault": "gremlins"}
    )
    assert response.status_code == 400 and "fault must be one of" in response.json()["error"]
