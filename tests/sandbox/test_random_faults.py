"""Random faults: a seeded share of API requests fails as QBO fails, and every one is counted."""

import pytest
import requests

from integrations.sandbox.backend import Config
from integrations.sandbox.random_faults import FAULT_KINDS, FaultInjector

ITEM = {"Name": "Chaos Item", "Type": "Service", "IncomeAccountRef": {"value": "16"}}


def _only(qbo_sandbox, kind: str, **settings) -> dict:
    return qbo_sandbox.control("faults", rate=1, kinds=[kind], **settings)


def _items_named(qbo_sandbox, name: str) -> list[dict]:
    return [i for i in qbo_sandbox.company.objects["Item"].values() if i["Name"] == name]


def test_no_faults_by_default_and_the_state_counts_none(qbo_sandbox):
    """At the default rate of 0 every request is served and nothing is drawn."""
    assert [qbo_sandbox.api("GET", "item/1").status_code for _ in range(20)] == [200] * 20
    faults = qbo_sandbox.state()["faults"]
    assert faults["rate"] == 0
    assert faults["drawn"] == 0
    assert faults["injected"] == dict.fromkeys(FAULT_KINDS, 0)


def test_the_same_seed_draws_the_same_faults_at_about_the_rate():
    """Two injectors with one seed agree draw for draw; about `rate` of the draws fault."""
    config = Config(fault_rate=0.1, fault_seed=42)
    first, second = FaultInjector(), FaultInjector()
    draws = [first.draw(config) for _ in range(2000)]
    assert draws == [second.draw(config) for _ in range(2000)]
    injected = [d for d in draws if d]
    assert 140 <= len(injected) <= 260
    assert set(injected) == set(FAULT_KINDS)
    assert first.snapshot(config)["total"] == len(injected)
    assert first.snapshot(config)["drawn"] == 2000


def test_a_throttle_fault_is_a_429_in_qbo_xml_and_counted(qbo_sandbox):
    """The throttle kind answers 429 with QBO's XML body; the request log names the fault."""
    _only(qbo_sandbox, "throttle")
    response = qbo_sandbox.api("GET", "item/1")
    assert response.status_code == 429
    assert '<Error code="3001">' in response.text
    state = qbo_sandbox.state()
    assert state["faults"]["injected"]["throttle"] == 1
    assert state["requests"][-1]["fault"] == "throttle"


def test_a_server_error_writes_nothing_and_the_retry_writes_once(qbo_sandbox):
    """A 500 SystemFault is answered before the write: a retry with the requestid creates it."""
    _only(qbo_sandbox, "server_error")
    response = qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-500"})
    assert response.status_code == 500
    assert response.json()["Fault"]["type"] == "SystemFault"
    assert _items_named(qbo_sandbox, "Chaos Item") == []
    qbo_sandbox.control("faults", rate=0)
    retry = qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-500"})
    assert retry.status_code == 200
    assert len(_items_named(qbo_sandbox, "Chaos Item")) == 1


def test_a_timeout_outlasts_the_client_but_the_write_still_lands_once(qbo_sandbox):
    """The answer comes after the client gave up; the write is done, and a retry gets it back."""
    _only(qbo_sandbox, "timeout", timeout_ms=600)
    with pytest.raises(requests.Timeout):
        qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-t"}, timeout=0.2)
    qbo_sandbox.control("faults", rate=0)
    retry = qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-t"})
    assert retry.status_code == 200
    made = _items_named(qbo_sandbox, "Chaos Item")
    assert [i["Id"] for i in made] == [retry.json()["Item"]["Id"]]


def test_a_drop_after_commit_closes_the_socket_after_the_write(qbo_sandbox):
    """The client sees no answer, yet the item exists; the retry returns the same Id."""
    _only(qbo_sandbox, "drop_after_commit")
    with pytest.raises(requests.ConnectionError):
        qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-drop"})
    made = _items_named(qbo_sandbox, "Chaos Item")
    assert len(made) == 1
    qbo_sandbox.control("faults", rate=0)
    retry = qbo_sandbox.api("POST", "item", json=ITEM, params={"requestid": "chaos-drop"})
    assert retry.json()["Item"]["Id"] == made[0]["Id"]
    assert qbo_sandbox.state()["faults"]["injected"]["drop_after_commit"] == 0  # counts restart


def test_a_token_expiry_expires_the_token_until_the_client_refreshes(qbo_sandbox):
    """A 401 that sticks: the same token keeps failing, a refreshed one works."""
    _only(qbo_sandbox, "token_expiry")
    old = qbo_sandbox.token()
    first = qbo_sandbox.api("GET", "item/1", token=old)
    assert first.status_code == 401
    assert first.json()["fault"]["error"][0]["code"] == "3200"
    qbo_sandbox.control("faults", rate=0)
    assert qbo_sandbox.api("GET", "item/1", token=old).status_code == 401
    fresh = qbo_sandbox.control("token")["access_token"]
    assert qbo_sandbox.api("GET", "item/1", token=fresh).status_code == 200


def test_fail_next_rules_win_over_random_faults(qbo_sandbox):
    """A request that matches a rule gets the rule, and draws no random fault."""
    _only(qbo_sandbox, "throttle")
    qbo_sandbox.fail_next(entity="Item", status=503)
    assert qbo_sandbox.api("GET", "item/1").status_code == 503
    assert qbo_sandbox.state()["faults"]["drawn"] == 0


@pytest.mark.parametrize(
    "body",
    [{"rate": 1.5}, {"kinds": ["teapot"]}, {"kinds": []}, {"kinds": "throttle"}, {"burst": 1}],
)
def test_bad_fault_settings_are_refused_and_change_nothing(qbo_sandbox, body):
    """The control plane answers 400 and the config keeps its old values."""
    response = qbo_sandbox.http.post(qbo_sandbox.url("/_sandbox/faults"), json=body)
    assert response.status_code == 400
    assert qbo_sandbox.state()["config"]["fault_rate"] == 0
    assert qbo_sandbox.state()["config"]["fault_kinds"] == list(FAULT_KINDS)


def test_config_sets_the_rate_and_reset_clears_the_counts(qbo_sandbox):
    """POST /_sandbox/config takes the fault settings too; a reset forgets what was injected."""
    qbo_sandbox.configure(fault_rate=1.0, fault_kinds=["server_error"], fault_seed=3)
    assert qbo_sandbox.api("GET", "item/1").status_code == 500
    assert qbo_sandbox.state()["faults"]["injected"]["server_error"] == 1
    qbo_sandbox.reset()
    assert qbo_sandbox.state()["faults"]["total"] == 0
