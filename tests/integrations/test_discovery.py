"""manage.py qbo_discovery_check: the OAuth URLs in settings against Intuit's discovery document.

The product does not read discovery at run time (README, "Connecting to QuickBooks Online");
this check, run by hand or from a deploy script, says when Intuit lists other URLs.
"""

import socket
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.management.commands import qbo_discovery_check
from integrations.services.connection import connection_disconnect, connection_refresh_tokens
from tests.integrations.test_connect_flow import connect


def test_the_urls_in_settings_are_those_the_sandbox_lists(qbo_sandbox, settings, capsys):
    call_command("qbo_discovery_check")

    out = capsys.readouterr().out
    assert f"QBO_TOKEN_URL: {qbo_sandbox.url('/oauth2/v1/tokens/bearer')} (as listed)" in out
    assert f"those {settings.QBO_DISCOVERY_URL} lists" in out


def test_an_override_intuit_does_not_list_is_named_with_the_url_it_lists(qbo_sandbox, settings):
    settings.QBO_REVOKE_URL = "https://revoke.example.com/v2/oauth2/tokens/revoke"

    with pytest.raises(CommandError) as refused:
        call_command("qbo_discovery_check")

    assert str(refused.value) == (
        "Set these to the URLs Intuit lists (or drop the override) and restart: QBO_REVOKE_URL "
        "is https://revoke.example.com/v2/oauth2/tokens/revoke, Intuit lists "
        f"{qbo_sandbox.url('/v2/oauth2/tokens/revoke')}"
    )


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/.well-known/nothing-here", "(HTTP 404) is not a discovery document"),
        ("/v3/company/1/query", "is not a discovery document: it lists no authorization_endpoint"),
    ],
)
def test_a_url_that_serves_no_discovery_document_says_so(qbo_sandbox, settings, path, said):
    settings.QBO_DISCOVERY_URL = qbo_sandbox.url(path)

    with pytest.raises(CommandError, match="^Check the network and QBO_DISCOVERY_URL") as refused:
        call_command("qbo_discovery_check")

    assert said in str(refused.value)


@pytest.fixture
def silent_port():
    """A port that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_no_answer_in_time_is_a_clear_error(settings, silent_port, monkeypatch):
    monkeypatch.setattr(qbo_discovery_check, "TIMEOUT_SECONDS", 0.2)
    settings.QBO_DISCOVERY_URL = f"http://127.0.0.1:{silent_port}/.well-known/openid"
    started = time.monotonic()

    with pytest.raises(CommandError, match="No answer from http://127.0.0.1.*: ReadTimeout"):
        call_command("qbo_discovery_check")

    assert time.monotonic() - started < 2


@pytest.mark.django_db
def test_connect_refresh_and_disconnect_read_no_discovery_document(admin_client, qbo_sandbox):
    """The token and revoke URLs carry the client secret and refresh tokens: they come from
    settings, never from a document fetched on the way."""
    connect(admin_client)
    connection_refresh_tokens(force=True)
    connection_disconnect()

    paths = [entry["path"] for entry in qbo_sandbox.state()["requests"]]
    assert "/oauth2/v1/tokens/bearer" in paths and "/v2/oauth2/tokens/revoke" in paths
    assert not [path for path in paths if path.startswith("/.well-known")]
