"""Helpers shared by the sandbox tests."""

import pytest

from integrations.sandbox import contract


def fault_code(response) -> str:
    """The code of the first error of a QBO fault response."""
    return response.json()["Fault"]["Error"][0]["code"]


def schema_misfits(company) -> list[str]:
    """Every stored object (deleted ones too) that is not what QBO answers, with its path."""
    misfits = []
    for store in (company.objects, company.deleted):
        for entity, objects in store.items():
            for obj_id, obj in objects.items():
                try:
                    contract.load().conform(entity, obj, strict=True)
                except contract.SchemaViolation as violation:
                    misfits.append(f"{entity} {obj_id} {violation.path}: {violation.detail}")
    return misfits


@pytest.fixture
def create(qbo_sandbox):
    """POST an object and return it; fails the test unless QBO accepts it."""

    def create(entity: str, body: dict, **params) -> dict:
        response = qbo_sandbox.api("POST", entity.lower(), json=body, params=params)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    return create


@pytest.fixture
def invoice(create):
    """An invoice of 2 x 25.00 + 1 x 50.00 for customer 1 (Mary's Dispensary)."""
    lines = [
        {"DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "9"}, "Qty": 2, "UnitPrice": 25}},
        {"Amount": 50, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}}},
    ]  # fmt: skip
    return create("Invoice", {"CustomerRef": {"value": "1"}, "Line": lines})


@pytest.fixture
def bill(create):
    """A bill of 120.00 from vendor 1 (Emerald Farms), one item line and one account line."""
    lines = [
        {"Amount": 100, "DetailType": "ItemBasedExpenseLineDetail",
         "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "9"}, "Qty": 10, "UnitPrice": 10}},
        {"Amount": 20, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}},
    ]  # fmt: skip
    return create("Bill", {"VendorRef": {"value": "1"}, "Line": lines})


def set_other_pref(sandbox, name: str, value: bool) -> None:
    """Turn a Preferences.OtherPrefs flag (such as WarnDuplicateBillNumber) on or off."""
    prefs = sandbox.api("GET", "preferences").json()["Preferences"]
    pairs = [pair for pair in prefs["OtherPrefs"]["NameValue"] if pair["Name"] != name]
    pairs.append({"Name": name, "Value": "true" if value else "false"})
    body = {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True,
            "OtherPrefs": {"NameValue": pairs}}  # fmt: skip
    response = sandbox.api("POST", "preferences", json=body)
    assert response.status_code == 200, response.text


def set_preferences(sandbox, **groups: dict) -> None:
    """Change Preferences with a sparse update: set_preferences(sb, TaxPrefs={...})."""
    prefs = sandbox.api("GET", "preferences").json()["Preferences"]
    body = {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True, **groups}
    response = sandbox.api("POST", "preferences", json=body)
    assert response.status_code == 200, response.text


def number_sales_forms_in_qbo(sandbox) -> None:
    """Turn custom transaction numbers off, as in Intuit's sample company: QBO numbers them."""
    set_preferences(sandbox, SalesFormsPrefs={"CustomTxnNumbers": False})
