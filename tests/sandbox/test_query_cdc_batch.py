"""The query language, Change Data Capture and batch, over HTTP."""

from datetime import timedelta

import pytest

from integrations.sandbox.entities import SPECS
from tests.sandbox.conftest import fault_code


def _names(response: dict, entity: str = "Item") -> list[str]:
    return [row.get("Name") or row.get("DisplayName") for row in response.get(entity, [])]


def test_count_and_paging(qbo_sandbox):
    """COUNT(*) answers totalCount; STARTPOSITION is 1-based and maxResults is the page size."""
    qbo_sandbox.reset(items=30)
    total = qbo_sandbox.query("select count(*) from Item")["totalCount"]
    assert total == 14 + 30  # the active sample items and the generated ones
    first = qbo_sandbox.query("SELECT * FROM Item ORDERBY Name STARTPOSITION 1 MAXRESULTS 10")
    second = qbo_sandbox.query("SELECT * FROM Item ORDERBY Name STARTPOSITION 11 MAXRESULTS 10")
    assert (first["startPosition"], first["maxResults"]) == (1, 10)
    assert (second["startPosition"], second["maxResults"]) == (11, 10)
    assert not set(_names(first)) & set(_names(second))
    assert qbo_sandbox.query("SELECT * FROM Item STARTPOSITION 500") == {}


def test_default_page_is_100_and_maxresults_caps_at_1000(qbo_sandbox):
    """Without MAXRESULTS a page has 100 rows; more than 1000 is served as 1000."""
    qbo_sandbox.reset(items=1100)
    assert qbo_sandbox.query("SELECT * FROM Item")["maxResults"] == 100
    assert qbo_sandbox.query("SELECT * FROM Item MAXRESULTS 5000")["maxResults"] == 1000


@pytest.mark.parametrize(
    ("where", "names"),
    [
        ("Name = 'blue dream 3.5g'", ["Blue Dream 3.5g"]),
        ("Name LIKE 'Gen%'", []),
        ("Name LIKE '%Pre-Roll'", ["OG Kush 1g Pre-Roll"]),
        ("UnitPrice > '25' AND Type = 'NonInventory'", ["Sour Diesel Cartridge 0.5g",
                                                        "Wedding Cake 3.5g"]),
        ("UnitPrice >= 25 AND UnitPrice <= 28", ["Blue Dream 3.5g", "Wedding Cake 3.5g"]),
        ("UnitPrice < 1 AND UnitPrice > 0", ["Exit Bags (child resistant)"]),
        ("Type IN ('Category') AND Active IN (true, false)", ["Concentrates (old) (deleted)",
                                                               "Edibles", "Flower"]),
        ("Sku IN ('BD-35', 'GUM-100')", ["Blue Dream 3.5g", "Gummies 100mg (10 pack)"]),
        ("ParentRef = '6'", ["Blue Dream 3.5g", "Wedding Cake 3.5g"]),
    ],
)  # fmt: skip
def test_where_operators(qbo_sandbox, where, names):
    """=, <, >, <=, >=, IN and LIKE, joined by AND, on strings, numbers and references."""
    response = qbo_sandbox.query(f"SELECT * FROM Item WHERE {where} ORDERBY Name")  # noqa: S608
    assert _names(response) == names


def test_quotes_escaped_with_backslash_and_ampersands(qbo_sandbox):
    """A name with an apostrophe is quoted as \\' ; an & needs no escaping."""
    marys = qbo_sandbox.query("SELECT * FROM Customer WHERE DisplayName = 'Mary\\'s Dispensary'")
    assert _names(marys, "Customer") == ["Mary's Dispensary"]
    hansen = qbo_sandbox.query("SELECT * FROM Vendor WHERE DisplayName = 'Hansen & Sons Packaging'")
    assert _names(hansen, "Vendor") == ["Hansen & Sons Packaging"]


def test_name_lists_are_active_only_unless_asked(qbo_sandbox):
    """Inactive vendors show only with Active IN (true, false) or Active = false."""
    assert "Old Leaf Supply (deleted)" not in _names(qbo_sandbox.query("SELECT * FROM Vendor"))
    every = qbo_sandbox.query("SELECT * FROM Vendor WHERE Active IN (true, false)")
    assert "Old Leaf Supply (deleted)" in _names(every, "Vendor")
    inactive = qbo_sandbox.query("SELECT * FROM Vendor WHERE Active = false")
    assert _names(inactive, "Vendor") == ["Old Leaf Supply (deleted)"]


def test_orderby_desc_and_last_updated_time(qbo_sandbox, create):
    """ORDERBY ... DESC sorts; Metadata.LastUpdatedTime filters by change time."""
    names = _names(qbo_sandbox.query("SELECT * FROM Class ORDERBY Name DESC"), "Class")
    assert names == sorted(names, reverse=True)
    since = (qbo_sandbox.backend.now() - timedelta(hours=1)).isoformat(timespec="seconds")
    changed = f"SELECT * FROM Item WHERE Metadata.LastUpdatedTime >= '{since}'"  # noqa: S608
    assert qbo_sandbox.query(changed) == {}
    create("Item", {"Name": "Fresh", "Type": "Service", "IncomeAccountRef": {"value": "16"}})
    assert _names(qbo_sandbox.query(changed)) == ["Fresh"]


def test_query_by_post_with_a_text_body(qbo_sandbox):
    """Clients may POST the query as application/text."""
    response = qbo_sandbox.api(
        "POST",
        "query",
        data="SELECT COUNT(*) FROM Vendor",
        headers={"Content-Type": "application/text"},
    )
    assert response.json()["QueryResponse"] == {"totalCount": 5}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT * FROM Item WHERE Name = 'a' OR Name = 'b'", "4000"),
        ("SELECT * FROM Itemz", "4001"),
        ("SELECT * FROM Item WHERE Colour = 'green'", "4001"),
        ("SELECT * FROM Item WHERE Name = ", "4000"),
        ("DELETE FROM Item", "4000"),
        ("SELECT * FROM Item MAXRESULTS ten", "4000"),
    ],
)
def test_unsupported_queries_are_qbo_400s(qbo_sandbox, text, code):
    """OR, unknown entities or fields and broken syntax: a QueryParserError-style 400."""
    response = qbo_sandbox.api("GET", "query", params={"query": text})
    assert (response.status_code, fault_code(response)) == (400, code)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        # Real QBO's answers: quickbooks-ruby#309 (whole), QuickBooks-V3-PHP-SDK#397 (to "(8211)").
        ("SELECT * FROM ITEM WHERE NAME LIKE '%Fleur’t'",
         r'Lexical error at line 1, column 43.  Encountered: "\u2019" (8217), after : "\'%Fleur"'),
        ("select * from Item WHERE Name='Boot – Wolverine'",
         r'Lexical error at line 1, column 37.  Encountered: "\u2013" (8211), after : "\'Boot "'),
        (r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien 😀'",
         r'column 54.  Encountered: "\ud83d" (55357), after : "\'O\\\'Brien "'),
        ("SELECT * FROM Customer WHERE DisplayName = 'A' AND Name – 'B'",
         r'column 57.  Encountered: "\u2013" (8211), after : ""'),
    ],
)  # fmt: skip
def test_a_character_above_latin_1_is_a_lexical_error(qbo_sandbox, text, detail):
    """QBO's JavaCC lexer reads Latin-1 only: ’, –, an emoji is 4000 "Lexical error"."""
    response = qbo_sandbox.api("GET", "query", params={"query": text})

    [error] = response.json()["Fault"]["Error"]
    assert (response.status_code, error["code"], error["Message"]) == (
        400, "4000", "Error parsing query"
    )  # fmt: skip
    assert error["Detail"].startswith("QueryParserError: Invalid content. Lexical error at line 1")
    assert error["Detail"].endswith(detail)


def test_latin_1_text_is_read(qbo_sandbox, create):
    """é, ñ, ü and the rest of Latin-1 are read (the .NET SDK's UTF-8-as-Latin-1 workaround
    relies on it)."""
    create("Customer", {"DisplayName": "Crème brûlée ñandú"})

    found = qbo_sandbox.query("SELECT * FROM Customer WHERE DisplayName = 'Crème brûlée ñandú'")

    assert _names(found, "Customer") == ["Crème brûlée ñandú"]


def test_a_select_list_mixing_star_with_fields_answers_whole_objects(qbo_sandbox):
    """`SELECT *, Sku FROM Item` (python-quickbooks' Item.all) is every field; named fields
    alone are a sparse projection."""
    star = qbo_sandbox.query("SELECT *, Sku FROM Item WHERE Sku = 'BD-35'")["Item"]
    named = qbo_sandbox.query("SELECT Name, Sku FROM Item WHERE Sku = 'BD-35'")["Item"]

    assert star == qbo_sandbox.query("SELECT * FROM Item WHERE Sku = 'BD-35'")["Item"]
    assert star[0]["Sku"] == "BD-35" and "IncomeAccountRef" in star[0]
    assert named[0]["sparse"] is True and "IncomeAccountRef" not in named[0]


def test_a_star_select_list_still_names_real_fields(qbo_sandbox):
    """A field after `*` is checked like any other: an unknown one is 4001."""
    response = qbo_sandbox.api("GET", "query", params={"query": "SELECT *, Colour FROM Item"})
    assert (response.status_code, fault_code(response)) == (400, "4001")


# ---- CDC ----------------------------------------------------------------------------------


def _cdc(sandbox, entities: str, since):
    params = {"entities": entities, "changedSince": since.isoformat(timespec="seconds")}
    return sandbox.api("GET", "cdc", params=params)


def test_cdc_reports_changes_inactivations_and_deletions(qbo_sandbox, create, invoice):
    """Changed items come back whole, inactivated ones with Active=false, deleted invoices
    as status Deleted; one QueryResponse per entity asked."""
    since = qbo_sandbox.backend.now() - timedelta(minutes=5)
    item = create(
        "Item", {"Name": "Moon Rocks", "Type": "Service", "IncomeAccountRef": {"value": "16"}}
    )
    create("Item", {"Id": "9", "SyncToken": "0", "sparse": True, "Active": False})
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "delete"})
    response = _cdc(qbo_sandbox, "Item,Invoice,Class", since)
    assert response.status_code == 200
    items, invoices, classes = response.json()["CDCResponse"][0]["QueryResponse"]
    assert {i["Id"]: i["Active"] for i in items["Item"]} == {item["Id"]: True, "9": False}
    deleted = invoices["Invoice"][0]
    assert (deleted["Id"], deleted["status"], set(deleted)) == (
        invoice["Id"], "Deleted", {"domain", "status", "Id", "MetaData"}
    )  # fmt: skip
    assert classes == {}


def test_cdc_looks_back_at_most_30_days(qbo_sandbox):
    """changedSince older than 30 days is a 400 fault."""
    response = _cdc(qbo_sandbox, "Item", qbo_sandbox.backend.now() - timedelta(days=31))
    assert response.status_code == 400
    assert "30 days" in response.json()["Fault"]["Error"][0]["Detail"]


def test_cdc_returns_at_most_1000_per_entity(qbo_sandbox):
    """With more than 1000 changes, CDC answers 1000 of them."""
    qbo_sandbox.reset(items=1200)
    response = _cdc(qbo_sandbox, "Item", qbo_sandbox.backend.now() - timedelta(days=4))
    answer = response.json()["CDCResponse"][0]["QueryResponse"][0]
    assert len(answer["Item"]) == answer["maxResults"] == 1000


def test_cdc_returns_at_most_1000_objects_across_the_entities_asked(qbo_sandbox):
    """The cap is on the whole answer (Intuit's CDC guide), the oldest changes first: 700
    items and 700 classes changed come back as 1000 objects, each entity under the cap."""
    qbo_sandbox.reset(items=700)
    with qbo_sandbox.backend.lock:
        for n in range(700):
            qbo_sandbox.company.create(SPECS["Class"], {"Name": f"Class {n:03d}"})

    response = _cdc(qbo_sandbox, "Item,Class", qbo_sandbox.backend.now() - timedelta(days=4))

    items, classes = response.json()["CDCResponse"][0]["QueryResponse"]
    assert len(items["Item"]) + len(classes["Class"]) == 1000
    assert len(items["Item"]) >= 700 and classes["maxResults"] == len(classes["Class"]) < 300
    newest_item = max(item["MetaData"]["LastUpdatedTime"] for item in items["Item"])
    assert all(c["MetaData"]["LastUpdatedTime"] >= newest_item for c in classes["Class"])


# ---- batch --------------------------------------------------------------------------------


def test_batch_answers_each_item_with_a_fault_where_it_fails(qbo_sandbox):
    """HTTP 200; each bId gets its object, its QueryResponse, or its own Fault."""
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Boraski Farms"}},
            {"bId": "2", "operation": "delete", "Invoice": {"Id": "129", "SyncToken": "0"}},
            {"bId": "3", "operation": "update",
             "Item": {"Id": "1", "SyncToken": "7", "sparse": True, "Sku": "S"}},
            {"bId": "4", "Query": "select * from Vendor where DisplayName = 'Boraski Farms'"},
        ]
    }  # fmt: skip
    response = qbo_sandbox.api("POST", "batch", json=body)
    assert response.status_code == 200
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["1"]["Vendor"]["DisplayName"] == "Boraski Farms"
    assert answers["2"]["Fault"]["Error"][0]["code"] == "610"
    assert answers["3"]["Fault"]["Error"][0]["code"] == "5010"
    assert answers["4"]["QueryResponse"]["Vendor"][0]["Id"] == answers["1"]["Vendor"]["Id"]


def test_batch_takes_at_most_30_operations(qbo_sandbox):
    """31 operations are refused as a whole."""
    items = [{"bId": str(n), "Query": "select * from Class"} for n in range(31)]
    response = qbo_sandbox.api("POST", "batch", json={"BatchItemRequest": items})
    assert response.status_code == 400
    assert "Fault" in response.json()


def test_a_batch_item_whose_requestid_and_bid_pass_50_characters_is_refused_alone(qbo_sandbox):
    """QBO keys each item by requestid + bId in 50 characters: past that, the item gets a 6000
    in the words intuit/QuickBooks-V3-Java-SDK#180 recorded, and nothing is written."""
    request_id = "8182e07bba" + "0" * 22
    items = [
        {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Short Id Farms"}},
        {"bId": "b" * 36, "operation": "create", "Vendor": {"DisplayName": "Long Id Farms"}},
    ]
    response = qbo_sandbox.api(
        "POST", "batch", params={"requestid": request_id}, json={"BatchItemRequest": items}
    )
    short, long = response.json()["BatchItemResponse"]
    assert short["Vendor"]["DisplayName"] == "Short Id Farms"
    error = long["Fault"]["Error"][0]
    assert error["code"] == "6000"
    assert error["Detail"].endswith("which is 68 characters.")
    assert qbo_sandbox.query("select * from Vendor where DisplayName = 'Long Id Farms'") == {}


def test_select_named_fields_answers_sparse_objects(qbo_sandbox):
    """SELECT Name, Sku returns just those fields (plus Id, SyncToken, MetaData), sparse."""
    row = qbo_sandbox.query("SELECT Name, Sku FROM Item WHERE Sku = 'BD-35'")["Item"][0]
    assert set(row) == {"Name", "Sku", "Id", "SyncToken", "MetaData", "domain", "sparse"}
    assert row["sparse"] is True
