"""QuickBooks webhooks received: signed, in either of Intuit's formats, for the connected
company only, each once; a burst of them costs one CDC read, and the hourly pass still
catches what a lost notification would have told."""

import base64
import hashlib
import hmac
import json
import logging
import uuid

import pytest
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import QboConnection, QboItem, QboWebhookEvent, SyncRun
from integrations.services.webhooks import WEBHOOK_MAX_BODY_BYTES, webhook_signature_valid
from integrations.tasks import changes_sync_task
from tests.factories import ProductFactory
from tests.items.conftest import mirrored, qbo_item, qbo_item_update

pytestmark = pytest.mark.django_db
TOKEN = "verifier-token-from-intuits-developer-portal"
URL = "/webhooks/quickbooks/"


@pytest.fixture
def webhooks(settings, synced):
    """Webhooks configured, the items imported, the sandbox's request log cleared."""
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = TOKEN
    return synced


def signature(body: bytes, token: str = TOKEN) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, body: bytes, sign: str | None = None, **headers):
    """POST a notification as Intuit does: raw JSON, signed unless `sign` says otherwise."""
    if sign is None:
        headers["HTTP_INTUIT_SIGNATURE"] = signature(body)
    elif sign:
        headers["HTTP_INTUIT_SIGNATURE"] = sign
    return client.post(URL, data=body, content_type="application/json", **headers)


def cloud_events(*events: dict) -> bytes:
    return json.dumps(list(events)).encode()


def cloud_event(realm: str, entity_id: str, entity="item", operation="updated", event_id=None):
    """One event in the shape of Intuit's sample (blog, "Upcoming change to webhooks payload
    structure", 2025-11-12)."""
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
        "type": f"qbo.{entity}.{operation}.v1",
        "datacontenttype": "application/json",
        "time": "2025-09-10T21:31:25.179851517Z",
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
        "data": {},
    }


def legacy(realm: str, *entities: dict) -> bytes:
    """The legacy shape (Intuit's "Managing webhooks notifications" sample)."""
    notification = {"realmId": realm, "dataChangeEvent": {"entities": list(entities)}}
    return json.dumps({"eventNotifications": [notification]}).encode()


def cdc_reads(sandbox) -> int:
    return len(sandbox.api_requests(operation="cdc"))


def test_intuits_own_example_signature_verifies_and_a_changed_byte_does_not(settings):
    """The verifier token, body and intuit-signature of Intuit's .NET SDK test
    (Intuit.Ipp.WebhooksService.Test/WebhooksServiceTest.cs, ExecuteverifyToken)."""
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = "00faeec4-08d0-4996-bb37-698ae19f0149"
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":['
        b'{"name":"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},'
        b'{"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}'
        b"]}}]}"
    )
    intuit_signature = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="

    assert webhook_signature_valid(body=body, signature=intuit_signature)
    assert not webhook_signature_valid(body=body.replace(b"40", b"41"), signature=intuit_signature)
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = ""
    assert not webhook_signature_valid(body=body, signature=intuit_signature)


def test_a_signed_cloudevent_is_kept_answered_at_once_and_its_change_taken_in(
    client, webhooks, django_capture_on_commit_callbacks
):
    product = ProductFactory(name="Blue Dream eighth", sales_qbo_item=mirrored("Blue Dream 3.5g"))
    item = qbo_item_update(webhooks, "Blue Dream 3.5g", Active=False)
    body = cloud_events(cloud_event(webhooks.realm_id, item["Id"], event_id="evt-1"))

    with django_capture_on_commit_callbacks() as queued:
        response = deliver(client, body)

    assert response.status_code == 200
    assert not response.cookies  # no session: the signature is the credential
    event = QboWebhookEvent.objects.get()
    assert (event.event_id, event.realm_id, event.entity, event.entity_id, event.operation) == (
        "evt-1",
        webhooks.realm_id,
        "Item",
        item["Id"],
        "updated",
    )
    assert event.occurred_at.isoformat() == "2025-09-10T21:31:25.179851+00:00"
    assert cdc_reads(webhooks) == 0  # nothing is read before the answer: the worker does it
    assert mirrored("Blue Dream 3.5g") is not None

    for task in queued:
        task()

    assert mirrored("Blue Dream 3.5g") is None
    product.refresh_from_db()
    assert product.sales_qbo_item is None  # fallen back to the default sales item
    event.refresh_from_db()
    assert event.taken_by.trigger == SyncRun.Trigger.WEBHOOK
    assert event.taken_by.status == SyncRun.Status.SUCCEEDED
    assert cdc_reads(webhooks) == 1


def test_the_legacy_format_is_accepted_and_a_repeat_of_it_is_recognised(
    client, webhooks, django_capture_on_commit_callbacks
):
    """Legacy events have no id: realm, entity, id, operation and time make a stable one."""
    item = qbo_item_update(webhooks, "Distribution Fee", UnitPrice=199)
    change = {"name": "Item", "id": item["Id"], "operation": "Update",
              "lastUpdated": "2015-10-05T14:42:19-0700"}  # fmt: skip
    vendor = {"name": "Vendor", "id": "1", "operation": "Create",
              "lastUpdated": "2015-10-05T14:42:19-0700"}  # fmt: skip
    body = legacy(webhooks.realm_id, change, vendor)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body).status_code == 200
        assert deliver(client, body).status_code == 200  # Intuit's retry of it

    events = QboWebhookEvent.objects.order_by("entity")
    assert [(e.entity, e.entity_id, e.operation) for e in events] == [
        ("Item", item["Id"], "updated"),
        ("Vendor", "1", "created"),
    ]
    assert all(e.event_id.startswith("legacy-") for e in events)
    assert str(events[0].occurred_at) == "2015-10-05 21:42:19+00:00"
    assert mirrored("Distribution Fee").unit_price == 199
    assert cdc_reads(webhooks) == 1


@pytest.mark.parametrize(
    ("case", "sign"),
    [
        ("missing", False),
        ("invalid", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ("another token", signature(b"x", "someone-elses-token")),
        ("not base64", "not a signature ✗"),
    ],
)
def test_an_unsigned_or_wrongly_signed_notification_gets_401_and_changes_nothing(
    client, webhooks, django_capture_on_commit_callbacks, case, sign
):
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))
    if case == "another token":
        sign = signature(body, "someone-elses-token")

    with django_capture_on_commit_callbacks() as queued:
        response = deliver(client, body, sign=sign)

    assert response.status_code == 401
    assert not QboWebhookEvent.objects.exists() and not queued


def test_a_body_changed_after_signing_gets_401(client, webhooks):
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))
    tampered = body.replace(b'"1"', b'"2"')

    assert deliver(client, tampered, sign=signature(body)).status_code == 401
    assert not QboWebhookEvent.objects.exists()


def test_without_a_verifier_token_every_notification_is_refused(client, webhooks, settings):
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = ""
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))

    assert deliver(client, body, sign=signature(body, "")).status_code == 401
    assert not QboWebhookEvent.objects.exists()


def test_another_companys_events_are_answered_and_ignored(
    client, webhooks, django_capture_on_commit_callbacks
):
    body = cloud_events(
        cloud_event("4620816365191234567", "1"), cloud_event(webhooks.realm_id[:-1], "2")
    )

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert deliver(client, body).status_code == 200
        other = legacy("4620816365191234567", {"name": "Item", "id": "1"})
        assert deliver(client, other).status_code == 200

    assert not QboWebhookEvent.objects.exists() and not queued
    assert cdc_reads(webhooks) == 0


def test_a_duplicate_event_is_kept_once_and_read_for_once(
    client, webhooks, django_capture_on_commit_callbacks
):
    event = cloud_event(webhooks.realm_id, "1", event_id="evt-dup")

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, cloud_events(event, event))
        deliver(client, cloud_events(event))

    assert QboWebhookEvent.objects.count() == 1
    assert cdc_reads(webhooks) == 1


def test_a_replayed_notification_is_answered_and_costs_nothing(
    client, webhooks, django_capture_on_commit_callbacks
):
    """Someone who captured a signed notification can send it again: it is recognised."""
    body = cloud_events(cloud_event(webhooks.realm_id, "1"), cloud_event(webhooks.realm_id, "2"))
    legacy_body = legacy(webhooks.realm_id, {"name": "Item", "id": "3", "operation": "Update"})
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body)
        deliver(client, legacy_body)
    taken = dict(QboWebhookEvent.objects.values_list("event_id", "taken_by"))
    reads = cdc_reads(webhooks)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        for _ in range(3):
            assert deliver(client, body).status_code == 200
            assert deliver(client, legacy_body).status_code == 200

    assert not queued
    assert dict(QboWebhookEvent.objects.values_list("event_id", "taken_by")) == taken
    assert cdc_reads(webhooks) == reads


def test_a_burst_of_100_notifications_costs_one_cdc_read(
    client, webhooks, django_capture_on_commit_callbacks
):
    """100 notifications arrive before the worker gets to the first: the first task takes
    them all in one pass, and the 99 after it find nothing waiting."""
    for n in range(5):
        qbo_item_update(webhooks, "Distribution Fee", UnitPrice=100 + n)
    fee_id = qbo_item(webhooks, "Distribution Fee")["Id"]

    with django_capture_on_commit_callbacks() as queued:
        for _ in range(100):
            body = cloud_events(cloud_event(webhooks.realm_id, fee_id))
            assert deliver(client, body).status_code == 200
    assert len(queued) == 100
    for task in queued:
        task()

    assert cdc_reads(webhooks) == 1
    runs = {event.taken_by for event in QboWebhookEvent.objects.select_related("taken_by")}
    assert len(runs) == 1 and runs.pop().trigger == SyncRun.Trigger.WEBHOOK
    assert mirrored("Distribution Fee").unit_price == 104


def test_events_arriving_while_a_pass_runs_get_one_more_pass_not_one_each(
    client, webhooks, django_capture_on_commit_callbacks
):
    """Five notifications land (and their tasks run) while the first pass is going: each
    finds the pipeline taken and leaves it to that worker, which runs once more for all five."""
    late_ids = []

    def arrive_during_the_pass(sender, instance, **kwargs):
        if instance.status != SyncRun.Status.SUCCEEDED or late_ids:
            return
        for n in range(5):
            late_ids.append(f"late-{n}")
            with django_capture_on_commit_callbacks(execute=True):
                event = cloud_event(webhooks.realm_id, "1", event_id=late_ids[-1])
                deliver(client, cloud_events(event))
        assert QboConnection.objects.get().changes_pending == SyncRun.Trigger.WEBHOOK
        assert cdc_reads(webhooks) == 1  # the five tasks read nothing themselves

    post_save.connect(arrive_during_the_pass, sender=SyncRun, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, cloud_events(cloud_event(webhooks.realm_id, "1", event_id="first")))
    finally:
        post_save.disconnect(arrive_during_the_pass, sender=SyncRun)

    assert cdc_reads(webhooks) == 2
    first, second = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).order_by("pk")[1:]
    assert list(first.webhook_events.values_list("event_id", flat=True)) == ["first"]
    assert set(second.webhook_events.values_list("event_id", flat=True)) == set(late_ids)
    assert second.trigger == SyncRun.Trigger.WEBHOOK
    assert QboConnection.objects.get().changes_claimed_at is None


def test_a_lost_notification_is_caught_by_the_hourly_pass(
    client, webhooks, django_capture_on_commit_callbacks
):
    """One change is told by webhook; the next one's notification never comes, and another
    is kept but its task is lost: the hourly pass brings both changes and takes the event."""
    told = qbo_item_update(webhooks, "Distribution Fee", UnitPrice=150)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, cloud_events(cloud_event(webhooks.realm_id, told["Id"])))
    assert mirrored("Distribution Fee").unit_price == 150

    qbo_item_update(webhooks, "Distribution Fee", UnitPrice=175)  # Intuit never tells
    qbo_item_update(webhooks, "Blue Dream 3.5g", UnitPrice=31)
    blue_dream = qbo_item(webhooks, "Blue Dream 3.5g")["Id"]
    with django_capture_on_commit_callbacks():  # the enqueue is lost with its worker
        deliver(client, cloud_events(cloud_event(webhooks.realm_id, blue_dream, event_id="lost")))
    assert mirrored("Distribution Fee").unit_price == 150

    changes_sync_task()  # the hourly schedule

    assert mirrored("Distribution Fee").unit_price == 175
    assert mirrored("Blue Dream 3.5g").unit_price == 31
    assert QboWebhookEvent.objects.get(event_id="lost").taken_by.trigger == SyncRun.Trigger.HOURLY


def test_a_preferences_event_has_the_pass_read_the_preferences(
    client, webhooks, django_capture_on_commit_callbacks
):
    """Preferences are no CDC entity: the webhook saying they changed is what makes the next
    pass read them, within seconds instead of a day."""
    prefs = webhooks.api("GET", "preferences").json()["Preferences"]
    accounting = {**prefs["AccountingInfoPrefs"], "ClassTrackingPerTxnLine": False}
    update = {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
              "AccountingInfoPrefs": accounting}  # fmt: skip
    webhooks.api("POST", "preferences", json=update).raise_for_status()
    QboConnection.objects.update(class_tracking_per_line=True)
    webhooks.control("requests/clear")

    with django_capture_on_commit_callbacks(execute=True):
        event = cloud_event(webhooks.realm_id, prefs["Id"], entity="preferences")
        deliver(client, cloud_events(event))

    assert [r["entity"] or r["operation"] for r in webhooks.api_requests()] == [
        "cdc",
        "Preferences",
    ]
    assert not QboConnection.objects.get().class_tracking_per_line


def test_a_body_past_the_limit_gets_413_unread(client, webhooks):
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))
    body = body[:-1] + b" " * (WEBHOOK_MAX_BODY_BYTES - len(body) + 1) + b"]"
    assert len(body) == WEBHOOK_MAX_BODY_BYTES + 1

    assert deliver(client, body).status_code == 413
    assert deliver(client, body[:-2] + b"]").status_code == 200  # at the limit: kept
    assert QboWebhookEvent.objects.count() == 1


def test_a_signed_body_that_is_no_notification_is_answered_and_logged(
    client, webhooks, caplog, django_capture_on_commit_callbacks
):
    """Intuit signed it, so a refusal would only bring it back and hold up what follows; the
    hourly pass brings whatever it was about."""
    with django_capture_on_commit_callbacks() as queued:
        for body in (b"not json", b'{"something": "else"}', b"[[[]]]"):
            assert deliver(client, body).status_code == 200

    assert not QboWebhookEvent.objects.exists() and not queued
    assert "A signed QuickBooks webhook could not be read: it is not JSON" in caplog.text


def test_only_the_webhook_is_exempt_from_csrf_and_it_takes_posts_only(admin_user, webhooks):
    browser = Client(enforce_csrf_checks=True)
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))
    assert deliver(browser, body).status_code == 200
    assert browser.get(URL).status_code == 405

    browser.force_login(admin_user)
    assert browser.post(reverse("integrations:sync")).status_code == 403  # CSRF still guards


def test_the_log_names_no_secret(client, webhooks, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    body = cloud_events(cloud_event(webhooks.realm_id, "1"))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body)
        deliver(client, body, sign=signature(body, "wrong-token"))

    assert "QuickBooks webhook: 1 event(s), 1 new" in caplog.text
    assert "does not match its body" in caplog.text
    for secret in (TOKEN, signature(body), signature(body, "wrong-token")):
        assert secret not in caplog.text


def test_a_webhook_while_the_connection_is_expired_waits_for_the_reconnect(
    client, webhooks, django_capture_on_commit_callbacks
):
    QboConnection.objects.update(status=QboConnection.Status.EXPIRED)

    with django_capture_on_commit_callbacks(execute=True):
        body = cloud_events(cloud_event(webhooks.realm_id, "1"))
        assert deliver(client, body).status_code == 200

    assert QboWebhookEvent.objects.get().taken_at is None
    assert cdc_reads(webhooks) == 0
    assert not QboItem.objects.filter(qbo_id="").exists()


def test_the_quickbooks_page_says_whether_webhooks_are_on_what_came_last_and_the_last_catch_up(
    admin_client, client, webhooks, settings, django_capture_on_commit_callbacks
):
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = ""
    SyncRun.objects.all().delete()
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "<strong>Off.</strong> To have changes arrive within seconds, register" in page
    assert "http://127.0.0.1:8000/webhooks/quickbooks/" in page and "None received yet." in page
    assert "Not run yet." in page

    settings.QBO_WEBHOOK_VERIFIER_TOKEN = TOKEN
    with django_capture_on_commit_callbacks():  # kept, not taken in yet
        deliver(client, cloud_events(cloud_event(webhooks.realm_id, "7", "invoice", "created")))
    changes_sync_task()
    SyncRun.objects.filter(trigger=SyncRun.Trigger.HOURLY).update(message="0 new, 0 updated")

    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "On: QuickBooks tells Distru of a change within seconds" in page
    assert f"Invoice 7 created, company {webhooks.realm_id} · taken in by the sync of" in page
    assert "Succeeded · 0 new, 0 updated" in page


def test_a_change_told_by_webhook_costs_one_read_the_preferences_not_asked_for(
    client, webhooks, django_capture_on_commit_callbacks
):
    """Reads are billed: a webhook announces a Preferences change itself, so an item's change
    costs its CDC read alone; the hourly pass, which hears of nothing, still reads them then."""
    QboConnection.objects.update(preferences_read_at=timezone.now())
    changed = qbo_item_update(webhooks, "Distribution Fee", UnitPrice=160)
    webhooks.control("requests/clear")

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, cloud_events(cloud_event(webhooks.realm_id, changed["Id"])))

    assert mirrored("Distribution Fee").unit_price == 160
    assert [r["entity"] or r["operation"] for r in webhooks.api_requests()] == ["cdc"]
