from datetime import timedelta

import pytest
from django.utils import timezone

pytest_plugins = ["integrations.sandbox.pytest_plugin"]


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
