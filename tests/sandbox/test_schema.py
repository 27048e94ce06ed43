"""Every write is checked against Intuit's schema, at any depth, as QBO's Jackson reader does."""

import json
import re

import pytest

from integrations.sandbox import contract
from tests.data import QBO_SAMPLES
from tests.sandbox.conftest import schema_misfits

MESSAGE = "Request has invalid or unsupported property"


def sales_line(**detail) -> dict:
    return {"Amount": 25, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "9"}, **detail}}  # fmt: skip


def invoice_body(**changes) -> dict:
    return {"CustomerRef": {"value": "1"}, "Line": [sales_line()], **changes}


def refused(response) -> str:
    """The Detail of a 2010 answer (asserting it is one)."""
    assert response.status_code == 400, response.text
    error = response.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("2010", MESSAGE)
    assert response.json()["Fault"]["type"] == "ValidationFault"
    assert error["Detail"].startswith("Property Name:")
    assert error["Detail"].endswith(" specified is unsupported or invalid")
    return error["Detail"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (invoice_body(Colour="green"), '"Colour" (class com.intuit.schema.finance.v3.Invoice)'),
        (invoice_body(Line=[sales_line(Colour="green")]),
         '"Colour" (class com.intuit.schema.finance.v3.SalesItemLineDetail)'),
        (invoice_body(CustomerRef={"value": "1", "id": "1"}),
         '"id" (class com.intuit.schema.finance.v3.ReferenceType)'),
        (invoice_body(Line=[{**sales_line(), "ItemRef": {"value": "9"}}]),
         '"ItemRef" (class com.intuit.schema.finance.v3.Line)'),
    ],
    ids=["top level", "line detail", "reference", "line"],
)  # fmt: skip
def test_an_unknown_property_at_any_depth_is_2010_and_nothing_is_stored(qbo_sandbox, body, named):
    """Jackson's "Unrecognized field", naming the property and the class it is not part of."""
    before = dict(qbo_sandbox.company.objects["Invoice"])
    detail = refused(qbo_sandbox.api("POST", "invoice", json=body))
    assert f"Unrecognized field {named}, not marked as ignorable (" in detail
    assert qbo_sandbox.company.objects["Invoice"] == before


def test_the_unknown_property_answer_is_worded_as_the_recorded_one(qbo_sandbox):
    """The recorded QBO answer to {"BadJson": true}, known properties and all, up to their count."""
    recorded = json.loads((QBO_SAMPLES / "error__400_json.json").read_text())[0]
    expected = recorded["response"]["body"]["Fault"]["Error"][0]
    ours = refused(qbo_sandbox.api("POST", "invoice", json=recorded["request"]["body"]))

    def frame(detail: str) -> str:
        return re.sub(r"\(\d+ known properties: .*\]\)", "(N known properties: ...])", detail)

    assert frame(ours) == frame(expected["Detail"])
    assert '"DocNumber", "DueDate"' in ours and ours.count(", ") > 40


@pytest.mark.parametrize(
    ("entity", "body", "named"),
    [
        ("invoice", invoice_body(Line=[{**sales_line(), "Amount": {"value": 25}}]),
         'java.math.BigDecimal out of START_OBJECT token (through reference chain: '
         'com.intuit.schema.finance.v3.Invoice["Line"]->java.util.ArrayList[0]->'
         'com.intuit.schema.finance.v3.Line["Amount"])'),
        ("invoice", invoice_body(Line="one line"),
         'java.util.ArrayList out of VALUE_STRING token (through reference chain: '
         'com.intuit.schema.finance.v3.Invoice["Line"])'),
        ("invoice", invoice_body(CustomerRef="1"),
         'com.intuit.schema.finance.v3.ReferenceType out of VALUE_STRING token'),
        ("invoice", invoice_body(Line=[sales_line(Qty="two")]),
         "java.math.BigDecimal from String value 'two': not a valid representation"),
        ("invoice", invoice_body(TxnDate="next Tuesday"),
         "java.util.Date from String value 'next Tuesday'"),
        ("customer", {"DisplayName": "Kind Farms", "Active": [True]},
         'java.lang.Boolean out of START_ARRAY token (through reference chain: '
         'com.intuit.schema.finance.v3.Customer["Active"])'),
        ("customer", {"DisplayName": {"first": "Kind"}}, "java.lang.String out of START_OBJECT"),
    ],
    ids=["object for a number", "string for a list", "string for a reference",
         "words for a number", "words for a date", "list for a boolean", "object for a string"],
)  # fmt: skip
def test_a_value_of_the_wrong_kind_is_2010_naming_the_property(qbo_sandbox, entity, body, named):
    """An object where a number goes, a string where a list goes, ...: refused, nothing stored."""
    before = {name: len(objs) for name, objs in qbo_sandbox.company.objects.items()}
    detail = refused(qbo_sandbox.api("POST", entity, json=body))
    assert named in detail
    assert {name: len(objs) for name, objs in qbo_sandbox.company.objects.items()} == before


@pytest.mark.parametrize(
    ("entity", "body", "named"),
    [
        ("invoice", invoice_body(Line=[{**sales_line(), "DetailType": "SalesLine"}]),
         "LineDetailTypeEnum from String value 'SalesLine'"),
        ("account", {"Name": "Vault Cash", "AccountType": "Bank Account"},
         "AccountTypeEnum from String value 'Bank Account'"),
        ("item", {"Name": "Kush Mints", "Type": "Widget", "IncomeAccountRef": {"value": "16"}},
         "ItemTypeEnum from String value 'Widget'"),
    ],
    ids=["line detail type", "account type", "item type"],
)  # fmt: skip
def test_a_value_outside_its_enumeration_is_2010_listing_the_allowed_ones(
    qbo_sandbox, entity, body, named
):
    """The value, the enumeration it is not in, and what it allows."""
    detail = refused(qbo_sandbox.api("POST", entity, json=body))
    assert f"Can not construct instance of com.intuit.schema.finance.v3.{named}" in detail
    assert "value not one of declared Enum instance names: [" in detail


def test_json_is_read_as_leniently_as_jackson_reads_it(qbo_sandbox, create):
    """Numeric strings for numbers, numbers for strings, "true" for true, null or "" as absent."""
    line = {
        "Amount": "50.00",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": 9}, "Qty": "2", "UnitPrice": "25"},
    }
    invoice = create("Invoice", {"CustomerRef": {"value": 1}, "Line": [line],
                                 "PrivateNote": None, "DueDate": "", "DocNumber": 7001,
                                 "AllowOnlinePayment": "true"})  # fmt: skip
    stored = qbo_sandbox.company.objects["Invoice"][invoice["Id"]]
    detail = stored["Line"][0]["SalesItemLineDetail"]
    assert (detail["ItemRef"]["value"], detail["Qty"], detail["UnitPrice"]) == ("9", 2, 25)
    assert stored["Line"][0]["Amount"] == 50.0 and stored["CustomerRef"]["value"] == "1"
    assert stored["DocNumber"] == "7001" and stored["AllowOnlinePayment"] is True
    assert "PrivateNote" not in stored
    assert stored["DueDate"] > stored["TxnDate"]  # absent: QBO's default of 30 days


def test_updates_deletes_and_voids_are_checked_before_anything_changes(
    qbo_sandbox, create, invoice
):
    """A sparse update, a delete and a void with an unknown property: 2010, invoice untouched."""
    keys = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "Colour": "green"}
    refused(qbo_sandbox.api("POST", "invoice", json={**keys, "sparse": True}))
    for operation in ("delete", "void"):
        response = qbo_sandbox.api("POST", "invoice", json=keys, params={"operation": operation})
        assert 'Unrecognized field "Colour"' in refused(response)
    assert qbo_sandbox.company.objects["Invoice"][invoice["Id"]] == invoice


def test_each_batch_item_is_checked_on_its_own(qbo_sandbox):
    """A batch answers 200; the misfit item carries its own 2010 Fault, the others succeed."""
    items = [
        {"bId": "good", "operation": "create", "Invoice": invoice_body()},
        {"bId": "bad", "operation": "create",
         "Invoice": invoice_body(Line=[sales_line(Qty={"n": 2})])},
    ]  # fmt: skip
    invoices_before = len(qbo_sandbox.company.objects["Invoice"])
    response = qbo_sandbox.api("POST", "batch", json={"BatchItemRequest": items})
    assert response.status_code == 200
    good, bad = response.json()["BatchItemResponse"]
    assert good["Invoice"]["Id"] and bad["bId"] == "bad"
    error = bad["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("2010", MESSAGE)
    assert 'SalesItemLineDetail["Qty"]' in error["Detail"]
    assert len(qbo_sandbox.company.objects["Invoice"]) == invoices_before + 1


def test_the_seeded_company_is_what_qbo_would_answer(qbo_sandbox):
    """The sample company and generated items fit the schema strictly, every property."""
    qbo_sandbox.reset(items=25)
    assert schema_misfits(qbo_sandbox.company) == []
    assert sum(len(objects) for objects in qbo_sandbox.company.objects.values()) > 80


def recorded_objects():
    """Every entity object in the recorded answers of real QBO: (entity, object)."""
    entities = contract.load().entities
    found = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                for obj in item if isinstance(item, list) else [item]:
                    if key in entities and isinstance(obj, dict):
                        found.append((key, obj))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted(QBO_SAMPLES.glob("*.json")):
        for pair in json.loads(path.read_text()):
            walk(pair["response"]["body"])
    return found


def test_the_contract_fits_every_object_real_qbo_answered():
    """The recorded answers of real QBO (167 objects of 6 entities) fit the contract strictly."""
    objects = recorded_objects()
    misfits = []
    for entity, obj in objects:
        try:
            contract.load().conform(entity, obj, strict=True)
        except contract.SchemaViolation as violation:
            misfits.append(f"{entity} {obj.get('Id')} {violation}")
    assert misfits == []
    assert len(objects) > 150 and len({entity for entity, _ in objects}) >= 6


def test_the_contract_knows_every_invoice_property_real_qbo_listed():
    """QBO's own 2010 answer lists the Invoice properties it knows: the contract has them all."""
    recorded = json.loads((QBO_SAMPLES / "error__400_json.json").read_text())
    detail = recorded[0]["response"]["body"]["Fault"]["Error"][0]["Detail"]
    listed = re.findall(r'"(\w+)"', detail.split("known properties:")[1])
    assert len(listed) > 50
    assert set(listed) - contract.load().properties("Invoice") == set()
