from datetime import timedelta

import pytest
from django.utils import timezone

pytest_plugins = ["integrations.sandbox.pytest_plugin"]


@pytest.fixture
def qbo_seed(request, qbo_sandbox):
    """The sandbox company made from another seed (parametrize with indirect=["qbo_seed"]);
    ask for it before qbo_connected, chart or synced."""
    qbo_sandbox.reset(seed=request.param)
    return request.param


@pytest.fixture
def qbo_connected(qbo_sandbox, db):
    """A live connection to the sandbox's sample company, with tokens minted without OAuth."""
    from integrations.models import QboConnection

    tokens = qbo_sandbox.control("token")
    now = timezone.now()
    connection, _ = QboConnection.objects.update_or_create(
        id=QboConnection.SINGLETON_ID,
        defaults={
            "realm_id": qbo_sandbox.realm_id,
            "company_name": qbo_sandbox.company_name,
            "status": QboConnection.Status.CONNECTED,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "access_token_expires_at": now + timedelta(seconds=tokens["expires_in"]),
            "refresh_token_expires_at": now + timedelta(days=100),
            "connected_at": now,
        },
    )
    return connection


@pytest.fixture
def chart(qbo_connected, qbo_sandbox):
    """Connected, with the chart and classes imported and the key accounts chosen."""
    from integrations.models import QboAccount, QboConnection
    from integrations.services.mirror import company_mirror_refresh

    company_mirror_refresh()
    accounts = QboAccount.objects.filter(active=True)
    QboConnection.objects.update(
        default_income_account=accounts.get(name="Sales of Product Income"),
        default_expense_account=accounts.get(name="Cost of Goods Sold"),
        sales_deposit_account=accounts.get(name="Checking"),
        purchase_deposit_account=accounts.get(name="Checking"),
    )
    return qbo_sandbox


@pytest.fixture
def synced(chart):
    """Items fully imported (defaults made), the sandbox's request log cleared."""
    from integrations.services.changes import changes_sync_run

    changes_sync_run(full=True)
    chart.control("requests/clear")
    return chart


@pytest.fixture
def qbo_proxy(qbo_connected, qbo_sandbox, settings):
    """A proxy in front of the sandbox that can answer or mangle the next matching request,
    for answers the sandbox never gives (tests/qbo/stub_server.py)."""
    from tests.qbo.stub_server import StubServer

    with StubServer(forward_to=qbo_sandbox.base_url) as server:
        settings.QBO_API_BASE_URL = server.url
        yield server
