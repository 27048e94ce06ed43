import pytest

from integrations.models import QboAccount, QboConnection


@pytest.fixture
def qbo_ready(qbo_connected, qbo_sandbox):
    """Connected, chart and items imported, key accounts chosen, default items in QBO."""
    from integrations.services.items import item_sync_run
    from integrations.services.mirror import company_mirror_refresh

    company_mirror_refresh()
    accounts = QboAccount.objects.filter(active=True)
    QboConnection.objects.update(
        default_income_account=accounts.get(name="Sales of Product Income"),
        default_expense_account=accounts.get(name="Cost of Goods Sold"),
        sales_deposit_account=accounts.get(name="Checking"),
        purchase_deposit_account=accounts.get(name="Checking"),
    )
    item_sync_run(full=True)
    qbo_sandbox.http.post(qbo_sandbox.url("/_sandbox/requests/clear"))
    return qbo_sandbox
