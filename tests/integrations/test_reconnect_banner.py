"""While the connection is expired or paused, every admin page says so, with the Reconnect
link; it costs one query, and none on a page that does not show it."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from integrations.context_processors import quickbooks_banner
from integrations.models import QboConnection
from tests import factories

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("admin:index"),
    reverse("admin:sales_invoice_changelist"),
    reverse("admin:products_product_add"),
    reverse("integrations:panel"),
    reverse("sales:taxes"),
]
RECONNECT_LINK = f'<a class="button" href="{reverse("integrations:quickbooks")}">Reconnect'


@pytest.mark.parametrize("url", PAGES)
def test_every_admin_page_says_reconnect_while_the_connection_is_expired(admin_client, url):
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED)
    page = admin_client.get(url).content.decode()
    assert "QuickBooks no longer accepts the saved sign-in" in page
    assert RECONNECT_LINK in page


def test_a_paused_connection_says_why_first(admin_client):
    reason = "Renew the QuickBooks subscription, then reconnect to QuickBooks."
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED, status_reason=reason)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f'<div class="qbo-error-action">{reason}</div>' in page and RECONNECT_LINK in page


@pytest.mark.parametrize(
    "status", [QboConnection.Status.CONNECTED, QboConnection.Status.DISCONNECTED]
)
def test_no_banner_while_connected_or_never_connected(admin_client, status):
    factories.QboConnectionFactory(status=status)
    assert 'class="qbo-banner"' not in admin_client.get(reverse("admin:index")).content.decode()


def test_the_login_page_shows_no_banner_and_asks_nothing(client, django_assert_num_queries):
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED)
    with django_assert_num_queries(0):
        page = client.get(reverse("admin:login")).content.decode()
    assert 'class="qbo-banner"' not in page


def test_the_banner_costs_one_query_per_request(django_assert_num_queries):
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED, status_reason="Do X.")
    request = RequestFactory().get("/admin/")
    with django_assert_num_queries(1):
        for _ in range(3):  # a page rendered in parts asks the context processor each time
            banner = quickbooks_banner(request)["qbo_banner"]
            assert banner and banner.status_reason == "Do X."
