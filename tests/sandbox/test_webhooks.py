"""The sandbox posts webhooks as Intuit does: every change, signed, batched, retried on Intuit's
schedule until answered 200, from its own thread; each test listens with a real HTTP receiver."""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from integrations.sandbox.entities import SPECS
from integrations.sandbox.webhooks import retry_delay, sign

TOKEN = "test-verifier-token"
WINDOW = 0.2
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def subscribed(qbo_sandbox, receiver):
    """The sample company connected to an app that listens on `receiver`, batching 0.2 s."""
    qbo_sandbox.token()  # an app holds a grant: Intuit notifies connected companies only
    qbo_sandbox.webhooks(url=receiver.url, verifier_token=TOKEN, window_s=WINDOW)
    return qbo_sandbox


def until(sandbox, done, timeout: float = 5.0) -> dict:
    """The webhook state, once `done(state)` holds."""
    deadline = time.monotonic() + timeout
    while not done(state := sandbox.state()["webhooks"]):
        assert time.monotonic() < deadline, state
        time.sleep(0.02)
    return state


def settle(sandbox) -> dict:
    """The webhook state once nothing is gathered, built, waiting or being retried."""
    return until(sandbox, lambda state: not state["collecting"] and not state["pending"])


def create_item(sandbox, name: str) -> dict:
    body = {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": "16"}}
    response = sandbox.api("POST", "item", json=body)
    assert response.status_code == 200, response.text
    return response.json()["Item"]


def write(sandbox, entity: str, body: dict, **params) -> dict:
    response = sandbox.api("POST", entity.lower(), json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()[entity]


# ---- the signature ----


def test_the_signature_is_base64_hmac_sha256_of_the_body_as_intuits_sdk_checks_it():
    # The payload, token and signature of intuit/QuickBooks-V3-Java-SDK's WebhooksServiceTest.
    payload = (
        '{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":'
        '[{"name":"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}'
    )
    signature = sign(payload.encode(), "b5771f19b12ddb4bcdb9f08bdc50bc63878a")
    assert signature == "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q="


def test_every_notification_is_signed_with_the_verifier_token(subscribed, receiver):
    item = create_item(subscribed, "Signed Widget")

    (post,) = receiver.wait_for(1)
    expected = base64.b64encode(hmac.new(TOKEN.encode(), post["body"], hashlib.sha256).digest())
    assert hmac.compare_digest(post["headers"]["intuit-signature"].encode(), expected)
    assert sign(post["body"], "another-token") != post["headers"]["intuit-signature"]
    assert post["headers"]["content-type"] == "application/cloudevents+json"
    assert [e["intuitentityid"] for e in json.loads(post["body"])] == [item["Id"]]


# ---- the payloads ----


def _changes(sandbox) -> list[tuple[str, str]]:
    """Create, update, inactivate an item; void one invoice, delete another; pay a third;
    change Preferences. Returns (entity, verb, id) of each change, in order."""
    item = create_item(sandbox, "Shape Widget")
    item = write(sandbox, "Item", {"Id": item["Id"], "SyncToken": item["SyncToken"],
                                   "sparse": True, "Description": "Now described"})  # fmt: skip
    write(sandbox, "Item", {"Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True,
                            "Active": False})  # fmt: skip
    line = {"Amount": 50, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    invoices = [write(sandbox, "Invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})
                for _ in range(3)]  # fmt: skip
    first, second, third = invoices
    write(sandbox, "Invoice", {"Id": first["Id"], "SyncToken": "0"}, operation="void")
    write(sandbox, "Invoice", {"Id": second["Id"], "SyncToken": "0"}, operation="delete")
    payment = write(sandbox, "Payment", {
        "CustomerRef": {"value": "1"}, "TotalAmt": 50,
        "Line": [{"Amount": 50, "LinkedTxn": [{"TxnId": third["Id"], "TxnType": "Invoice"}]}],
    })  # fmt: skip
    prefs = sandbox.api("GET", "preferences").json()["Preferences"]
    write(sandbox, "Preferences", {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True,
                                   "SalesFormsPrefs": {"CustomTxnNumbers": False}})  # fmt: skip
    return [
        ("item", "created", item["Id"]), ("item", "updated", item["Id"]),
        ("item", "deleted", item["Id"]),
        *[("invoice", "created", invoice["Id"]) for invoice in invoices],
        ("invoice", "voided", first["Id"]), ("invoice", "deleted", second["Id"]),
        ("payment", "created", payment["Id"]), ("invoice", "updated", third["Id"]),
        ("preferences", "updated", "1"),
    ]  # fmt: skip


def _last_updated(sandbox, entity: str, obj_id: str) -> str:
    """An object's MetaData.LastUpdatedTime in UTC, as a webhook's time writes it."""
    company = sandbox.company
    stored = company.objects[entity].get(obj_id) or company.deleted[entity][obj_id]
    when = datetime.fromisoformat(stored["MetaData"]["LastUpdatedTime"]).astimezone(UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_cloudevents_carry_intuits_fields_for_each_kind_of_change(subscribed, receiver):
    expected = _changes(subscribed)

    settle(subscribed)
    assert all(isinstance(body, list) for body in receiver.bodies())
    events = receiver.events()
    assert [tuple(e["type"].split(".")[1:3]) + (e["intuitentityid"],) for e in events] == expected
    entities = {entity.lower(): entity for entity in SPECS}
    for event in events:
        _, entity, verb, version = event["type"].split(".")
        assert event["specversion"] == "1.0" and version == "v1"
        assert event["intuitaccountid"] == subscribed.realm_id
        prefix, name, entity_id = event["id"].rsplit("-", 2)
        uuid.UUID(prefix)
        assert (name, entity_id) == (entities[entity], event["intuitentityid"])
        assert re.fullmatch(r"intuit\.[A-Za-z0-9+/]{43}=", event["source"])
        assert TIME.match(event["time"])
        if verb == "created":
            assert (event["datacontenttype"], event["data"]) == ("application/json", {})
        else:
            assert "data" not in event and "datacontenttype" not in event
        assert event["time"] <= _last_updated(subscribed, entities[entity], entity_id)
    assert len({event["id"] for event in events}) == len(events)
    assert len({event["source"] for event in events}) == 1


def test_legacy_notifications_carry_intuits_fields(subscribed, receiver):
    subscribed.webhooks(format="legacy")
    expected = _changes(subscribed)

    settle(subscribed)
    entities = []
    for post in receiver.posts:
        body = json.loads(post["body"])
        assert post["headers"]["content-type"] == "application/json"
        assert list(body) == ["eventNotifications"]
        (notification,) = body["eventNotifications"]  # one company a notification
        assert notification["realmId"] == subscribed.realm_id
        entities += notification["dataChangeEvent"]["entities"]
    operations = {"created": "Create", "updated": "Update", "deleted": "Delete", "voided": "Void"}
    assert [(e["name"].lower(), e["operation"], e["id"]) for e in entities] == [
        (entity, operations[verb], obj_id) for entity, verb, obj_id in expected
    ]
    for entity in entities:
        assert set(entity) == {"name", "id", "operation", "lastUpdated"}
        assert TIME.match(entity["lastUpdated"])
    assert entities[0]["lastUpdated"] <= entities[-1]["lastUpdated"]


def test_an_events_time_is_the_objects_last_updated_time_so_cdc_from_it_finds_it(
    subscribed, receiver
):
    item = create_item(subscribed, "Clocked Widget")

    (post,) = receiver.wait_for(1)
    (event,) = json.loads(post["body"])
    assert event["time"] == _last_updated(subscribed, "Item", item["Id"])
    since = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).isoformat()
    answer = subscribed.api("GET", "cdc", params={"entities": "Item", "changedSince": since})
    found = answer.json()["CDCResponse"][0]["QueryResponse"][0]["Item"]
    assert [row["Id"] for row in found] == [item["Id"]]


# ---- what is sent, and to whom ----


def test_a_change_made_directly_on_the_backend_is_sent_too(subscribed, receiver):
    made = subscribed.company.create(SPECS["Class"], {"Name": "Made by a fixture"})

    (post,) = receiver.wait_for(1)
    (event,) = json.loads(post["body"])
    assert (event["type"], event["intuitentityid"]) == ("qbo.class.created.v1", made["Id"])


def test_changes_within_the_window_travel_in_one_notification_in_order(subscribed, receiver):
    body = {"Type": "Service", "IncomeAccountRef": {"value": "16"}}
    ids = [
        subscribed.company.create(SPECS["Item"], {**body, "Name": f"Batched Widget {n}"})["Id"]
        for n in range(5)
    ]
    receiver.wait_for(1)
    time.sleep(WINDOW * 2)
    later = create_item(subscribed, "Later Widget")["Id"]

    receiver.wait_for(2)
    first, second = receiver.bodies()
    assert [event["intuitentityid"] for event in first] == ids
    assert [event["intuitentityid"] for event in second] == [later]
    assert settle(subscribed)["sent"] == 2


def test_a_notification_holds_at_most_100_events(subscribed, receiver):
    for n in range(150):
        subscribed.company.create(SPECS["Class"], {"Name": f"Bulk class {n:03d}"})

    receiver.wait_for(2)
    assert [len(body) for body in receiver.bodies()] == [100, 50]


def test_each_company_gets_its_own_notification(subscribed, receiver):
    other = subscribed.control("seed", seed="empty", realm_id="4620816365200001")["realm_id"]
    subscribed.token(realm_id=other)
    create_item(subscribed, "Home Widget")
    subscribed.company.create(SPECS["Class"], {"Name": "Home class"})
    subscribed.backend.companies[other].create(SPECS["Class"], {"Name": "Away class"})

    settle(subscribed)
    realms = [{event["intuitaccountid"] for event in body} for body in receiver.bodies()]
    assert all(len(realm) == 1 for realm in realms)  # never two companies in one post
    events = receiver.events()
    assert sorted(event["intuitaccountid"] for event in events) == sorted(
        [subscribed.realm_id, subscribed.realm_id, other]
    )


def test_a_company_no_app_is_connected_to_is_not_reported(subscribed, receiver):
    other = subscribed.control("seed", seed="empty", realm_id="4620816365200002")["realm_id"]
    subscribed.backend.companies[other].create(SPECS["Class"], {"Name": "Unheard class"})
    subscribed.revoke_tokens()
    subscribed.company.create(SPECS["Class"], {"Name": "Disconnected class"})

    time.sleep(WINDOW * 3)
    assert settle(subscribed)["sent"] == 0
    assert receiver.posts == []


def test_a_change_made_while_no_url_is_set_is_never_sent(qbo_sandbox, receiver):
    qbo_sandbox.token()
    create_item(qbo_sandbox, "Unsubscribed Widget")
    qbo_sandbox.webhooks(url=receiver.url, verifier_token=TOKEN, window_s=WINDOW)

    time.sleep(WINDOW * 3)
    state = settle(qbo_sandbox)
    assert (state["sent"], state["failed"], state["dropped"]) == (0, 0, 0)
    assert receiver.posts == []


def test_seeding_a_company_is_no_change(subscribed, receiver):
    subscribed.control("seed", seed="sample", realm_id="4620816365200003", items=20)
    subscribed.token(realm_id="4620816365200003")

    time.sleep(WINDOW * 3)
    assert receiver.posts == []


# ---- failures, retries and drops ----


def test_intuits_retry_schedule():
    # 10s, 20s, 30s, 5m, 20m, 2h, 4h, 6h, and then every 6 hours.
    assert [retry_delay(n) for n in range(1, 11)] == [
        10, 20, 30, 300, 1200, 7200, 14400, 21600, 21600, 21600
    ]  # fmt: skip


def test_a_notification_not_answered_200_is_retried_on_the_scaled_schedule(subscribed, receiver):
    subscribed.webhooks(retry_scale=0.01, timeout_s=0.3)
    receiver.answers = [(500, 0), (200, 0.6), (401, 0)]  # the 2nd answers too late
    create_item(subscribed, "Retried Widget")

    posts = receiver.wait_for(4)
    assert len({post["body"] for post in posts}) == 1  # the same events, ids included
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(posts, posts[1:], strict=False)]
    waits = [0.1, 0.3 + 0.2, 0.3]  # the 2nd attempt's own 0.3 s timeout, then 0.2 s
    for gap, wait in zip(gaps, waits, strict=True):
        assert wait - 0.02 <= gap < wait + 0.5, (gaps, waits)
    state = settle(subscribed)
    assert (state["sent"], state["failed"], state["retried"]) == (1, 3, 3)


def test_a_later_notification_waits_until_the_failing_one_is_accepted(subscribed, receiver):
    subscribed.webhooks(retry_scale=0.02)
    receiver.answers = [(503, 0), (503, 0)]
    first = create_item(subscribed, "Blocking Widget")["Id"]
    receiver.wait_for(1)
    second = create_item(subscribed, "Waiting Widget")["Id"]

    receiver.wait_for(4)
    order = [body[0]["intuitentityid"] for body in receiver.bodies()]
    assert order == [first, first, first, second]
    assert settle(subscribed)["sent"] == 2


def test_dropped_notifications_are_never_posted(subscribed, receiver):
    subscribed.webhooks(drop=1)
    create_item(subscribed, "Lost Widget")
    assert settle(subscribed)["dropped"] == 1
    kept = create_item(subscribed, "Kept Widget")["Id"]
    receiver.wait_for(1)

    subscribed.webhooks(drop=True)
    create_item(subscribed, "Lost Widget 2")
    subscribed.company.create(SPECS["Class"], {"Name": "Lost class"})
    time.sleep(WINDOW * 2)
    state = settle(subscribed)

    assert [body[0]["intuitentityid"] for body in receiver.bodies()] == [kept]
    assert (state["sent"], state["dropped"], state["drop"]) == (1, 2, True)
    subscribed.webhooks(drop=False)
    create_item(subscribed, "Found Widget")
    receiver.wait_for(2)


def test_unsubscribing_drops_what_waits(subscribed, receiver):
    receiver.answers = [(500, 0)]  # the retry would come 10 s later
    create_item(subscribed, "Abandoned Widget")
    until(subscribed, lambda state: state["failed"] == 1)

    state = subscribed.webhooks(url=None)

    assert (state["pending"], state["failed"], state["dropped"]) == (0, 1, 1)
    assert state["url"] is None


# ---- never in the API's way ----


def test_a_slow_app_never_delays_an_api_answer(subscribed, receiver):
    # The app holds its answer for 2.5 s (inside the sender's 3 s timeout); the API's answers
    # come while it still holds, so no timing of this machine's speed is needed.
    receiver.answers = [(200, 2.5)]
    create_item(subscribed, "Slow Widget")
    assert receiver.started.wait(5)

    create_item(subscribed, "Quick Widget")
    subscribed.query("SELECT * FROM Item WHERE Name = 'Quick Widget'")
    assert not receiver.answered.is_set()
    receiver.wait_for(2, timeout=10)


# ---- controls ----


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://127.0.0.1/hooks"},
        {"url": "http://127.0.0.1/hooks"},  # with no verifier token
        {"url": "http://127.0.0.1/hooks", "verifier_token": TOKEN, "format": "xml"},
        {"url": "http://127.0.0.1/hooks", "verifier_token": 42},
        {"window_s": -1},
        {"window_s": "soon"},
        {"retry_scale": None},
        {"timeout_s": 0},
        {"drop": -1},
        {"drop": "yes"},
        {"colour": "blue"},
    ],
)
def test_a_bad_setting_is_refused_and_changes_nothing(qbo_sandbox, body):
    before = qbo_sandbox.state()["webhooks"]
    response = qbo_sandbox.http.post(qbo_sandbox.url("/_sandbox/webhooks"), json=body)

    assert response.status_code == 400
    assert response.json()["error"][0].isupper()
    assert qbo_sandbox.state()["webhooks"] == before


def test_the_state_shows_the_subscription_but_never_the_token(subscribed, receiver):
    state = subscribed.state()
    assert state["webhooks"]["url"] == receiver.url
    assert state["webhooks"]["verifier_token_set"] is True
    assert TOKEN not in json.dumps(state)


def test_the_command_subscribes_with_the_apps_verifier_token(settings, monkeypatch):
    settings.QBO_ENVIRONMENT = "local"
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = "from-settings"
    served = []
    monkeypatch.setattr(
        "integrations.management.commands.qbo_sandbox.serve", lambda *a: served.append(a)
    )
    url = "http://127.0.0.1:8000/webhooks/quickbooks/"

    call_command("qbo_sandbox", "--port", "0", "--webhook-url", url, "--webhook-format", "legacy")

    subscription = served[0][0].webhooks.settings
    assert (subscription.url, subscription.format) == (url, "legacy")
    assert subscription.verifier_token == "from-settings"
    with pytest.raises(CommandError, match="Give an http"):
        call_command("qbo_sandbox", "--port", "0", "--webhook-url", "127.0.0.1:8000/hooks")
