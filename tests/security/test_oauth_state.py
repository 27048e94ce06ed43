"""The OAuth `state` is single use, expires, and belongs to one browser session; the redirect
URI comes from settings, and nothing in the flow redirects off the site."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from integrations.models import QboConnection
from integrations.services.connection import OAUTH_STATE_SESSION_KEY
from tests.integrations.oauth_helpers import callback_path_and_query, consent

pytestmark = pytest.mark.django_db
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _authorize(client) -> str:
    response = client.post(reverse("integrations:connect"))
    assert response.status_code == 302
    return response["Location"]


def _approved_callback(client) -> tuple[str, dict]:
    return callback_path_and_query(consent(_authorize(client)))


def _connected() -> bool:
    return QboConnection.objects.filter(status=QboConnection.Status.CONNECTED).exists()


def _token_requests(sandbox) -> int:
    return len(sandbox.api_requests(method="POST", path=TOKEN_PATH))


def test_a_state_is_used_once_even_when_the_callback_is_replayed(manager_client, qbo_sandbox):
    path, query = _approved_callback(manager_client)
    assert manager_client.get(path, query)["Location"] == reverse("integrations:key_accounts")
    exchanges = _token_requests(qbo_sandbox)

    replay = manager_client.get(path, query, follow=True).content.decode()
    assert "could not be verified" in replay
    assert _token_requests(qbo_sandbox) == exchanges  # refused before any call to Intuit
    assert OAUTH_STATE_SESSION_KEY not in manager_client.session


def test_a_failed_check_also_spends_the_state(manager_client, qbo_sandbox):
    path, query = _approved_callback(manager_client)
    manager_client.get(path, {**query, "state": "forged"})
    response = manager_client.get(path, query, follow=True)
    assert "could not be verified" in response.content.decode()
    assert not _connected() and _token_requests(qbo_sandbox) == 0


def test_an_expired_state_is_refused(manager_client, qbo_sandbox):
    path, query = _approved_callback(manager_client)
    session = manager_client.session
    session[OAUTH_STATE_SESSION_KEY]["issued"] -= 11 * 60  # ten minutes is the limit
    session.save()

    response = manager_client.get(path, query, follow=True)
    assert "took too long" in response.content.decode()
    assert not _connected() and _token_requests(qbo_sandbox) == 0


def test_a_state_from_another_session_is_refused(client, manager, manager_client, qbo_sandbox):
    from django.test import Client

    path, query = _approved_callback(manager_client)
    other = Client()
    other.force_login(manager)  # the same user, in another browser
    _authorize(other)  # which has a pending state of its own

    response = other.get(path, query, follow=True)
    assert "could not be verified" in response.content.decode()
    assert not _connected() and _token_requests(qbo_sandbox) == 0


def test_the_redirect_uri_comes_from_settings_not_from_the_request(
    manager_client, qbo_sandbox, settings
):
    settings.ALLOWED_HOSTS = ["*"]
    location = manager_client.post(
        reverse("integrations:connect"),
        {"redirect_uri": "https://evil.example/cb", "next": "https://evil.example/"},
        HTTP_HOST="evil.example",
        HTTP_X_FORWARDED_HOST="evil.example",
    )["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(settings.QBO_AUTHORIZE_URL + "?")
    assert query["redirect_uri"] == [settings.QBO_REDIRECT_URI]
    assert "evil" not in location


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:evil.example"]
)
def test_no_page_of_the_flow_redirects_off_the_site(manager_client, qbo_sandbox, target):
    path, query = _approved_callback(manager_client)
    landings = [
        manager_client.get(path, {**query, "next": target}),
        manager_client.get(path, {"state": "x", "next": target, "redirect": target}),
        manager_client.post(reverse("integrations:disconnect"), {"next": target}),
        manager_client.post(reverse("integrations:sync"), {"next": target}),
        manager_client.post(reverse("integrations:outbox_retry"), {"next": target}),
    ]
    for response in landings:
        assert response.status_code == 302
        assert response["Location"].startswith("/settings/"), response["Location"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_the_login_page_ignores_a_next_that_leaves_the_site(client, manager, target):
    response = client.post(
        reverse("admin:login") + f"?next={target}",
        {"username": "manager", "password": "pw", "next": target},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_settings_redirect_uri_is_the_callback_page():
    assert urlsplit(settings.QBO_REDIRECT_URI).path == reverse("integrations:callback")
