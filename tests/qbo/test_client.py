"""The QBO client against a real HTTP server on loopback: requests, retries, paging, parsing."""

import contextlib
import json
import logging
import socket
import time
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.qbo.client import QboClient, quote, select
from integrations.qbo.config import QboConfig
from integrations.qbo.errors import (
    QboAuthenticationError,
    QboCdcTruncatedError,
    QboDuplicateNameError,
    QboError,
    QboMalformedResponseError,
    QboNotFoundError,
    QboServerError,
    QboThrottledError,
    QboTransportError,
)
from tests.data import QBO_SAMPLES as SAMPLES

from .stub_server import StubServer

REALM = "4620816365"
TID = {"intuit_tid": "1-abc-tid"}
ACCESS = "eyJhbGciOiJkaXIi.access-token-one.sig"
FRESH = "eyJhbGciOiJkaXIi.access-token-two.sig"


class Tokens:
    """A token provider that counts refreshes."""

    def __init__(self) -> None:
        self.current = ACCESS
        self.refreshed_from: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        self.refreshed_from.append(rejected_token)
        self.current = FRESH
        return self.current


class RecordingLimiter:
    """Records when the client holds a rate-limit slot."""

    def __init__(self) -> None:
        self.events: list[str] = []

    @contextlib.contextmanager
    def slot(self, realm_id, *, batch=False):
        self.events.append(f"enter {realm_id}" + (" batch" if batch else ""))
        yield
        self.events.append("exit")


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


def make_config(base_url: str, **overrides) -> QboConfig:
    settings = {
        "client_id": "client-id",
        "client_secret": "client-secret",
        "redirect_uri": "http://127.0.0.1:8000/callback/",
        "authorize_url": f"{base_url}/connect/oauth2",
        "token_url": f"{base_url}/oauth2/v1/tokens/bearer",
        "revoke_url": f"{base_url}/v2/oauth2/tokens/revoke",
        "api_base_url": base_url,
        "timeout": 2.0,
        "max_retries": 3,
        "backoff_base": 0.001,
        "backoff_cap": 2.0,
    }
    return QboConfig(**{**settings, **overrides})


@pytest.fixture
def tokens():
    return Tokens()


@pytest.fixture
def client(stub, tokens):
    return QboClient(make_config(stub.url), REALM, tokens)


def fault(code: str, message: str = "Boom", detail: str = "Details") -> dict:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}]}}


def test_read_sends_minorversion_json_headers_and_bearer_token(stub, client):
    stub.add_json(200, {"Item": {"Id": "5", "Name": "Rosin"}, "time": "x"}, TID)

    assert client.read("Item", "5") == {"Id": "5", "Name": "Rosin"}

    (request,) = stub.received
    assert (request.method, request.path) == ("GET", f"/v3/company/{REALM}/item/5")
    assert request.query == {"minorversion": "75"}
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {ACCESS}"


def test_entity_names_map_to_lowercase_path_segments(stub, client):
    stub.add_json(200, {"BillPayment": {"Id": "3"}})

    client.read("BillPayment", "3")

    assert stub.received[0].path == f"/v3/company/{REALM}/billpayment/3"
    with pytest.raises(ValueError, match="spelled as in QBO"):
        client.read("bill payment", "3")


def test_create_sends_the_payload_and_request_id(stub, client):
    stub.add_json(200, {"Customer": {"Id": "70", "DisplayName": "Doe, Jane"}})

    created = client.create("Customer", {"DisplayName": "Doe, Jane"}, request_id="job-17")

    request = stub.received[0]
    assert created["Id"] == "70"
    assert request.path == f"/v3/company/{REALM}/customer"
    assert request.query == {"minorversion": "75", "requestid": "job-17"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"DisplayName": "Doe, Jane"}


def test_update_is_sparse_by_default_and_leaves_the_payload_alone(stub, client):
    stub.add_json(200, {"Account": {"Id": "5", "SyncToken": "2"}})
    stub.add_json(200, {"Account": {"Id": "5", "SyncToken": "3"}})
    payload = {"Id": "5", "SyncToken": "1", "Active": False}

    client.update("Account", payload, request_id="r1")
    client.update("Account", {**payload, "SyncToken": "2"}, request_id="r2", sparse=False)

    assert stub.received[0].json() == {**payload, "sparse": True}
    assert "sparse" not in stub.received[1].json()
    assert payload == {"Id": "5", "SyncToken": "1", "Active": False}


def test_update_without_a_sync_token_is_refused_before_sending(stub, client):
    with pytest.raises(ValueError, match="SyncToken"):
        client.update("Item", {"Id": "5", "Name": "x"}, request_id="r1")
    assert stub.received == []


@pytest.mark.parametrize("operation", ["delete", "void"])
def test_delete_and_void_post_the_id_and_sync_token(stub, client, operation):
    stub.add_json(200, {"Invoice": {"Id": "266", "status": "Deleted"}})

    result = getattr(client, operation)("Invoice", "266", "0", request_id="job-9")

    request = stub.received[0]
    assert result["Id"] == "266"
    assert request.method == "POST"
    assert request.query == {"minorversion": "75", "operation": operation, "requestid": "job-9"}
    assert request.json() == {"Id": "266", "SyncToken": "0"}


@pytest.mark.parametrize("entity", ["Payment", "BillPayment", "SalesReceipt"])
def test_payments_and_sales_receipts_are_voided_by_a_sparse_update_with_include_void(
    stub, client, entity
):
    stub.add_json(200, {entity: {"Id": "31", "SyncToken": "2", "TotalAmt": 0}})

    result = client.void(entity, "31", "1", request_id="job-9")

    request = stub.received[0]
    assert result["TotalAmt"] == 0
    assert request.path.endswith(f"/{entity.lower()}")
    assert request.query == {
        "minorversion": "75",
        "operation": "update",
        "include": "void",
        "requestid": "job-9",
    }
    assert request.json() == {"Id": "31", "SyncToken": "1", "sparse": True}


def test_request_ids_longer_than_fifty_characters_are_refused(client):
    with pytest.raises(ValueError, match="requestid"):
        client.create("Item", {"Name": "x"}, request_id="x" * 51)


def test_server_errors_are_retried_with_the_same_request_id(stub, client):
    stub.add(503, "<html><title>Service Unavailable</title></html>", headers=TID)
    stub.add_json(500, fault("10000", "An application error has occurred"), TID)
    stub.add_json(200, {"Customer": {"Id": "71"}}, TID)

    assert client.create("Customer", {"DisplayName": "A"}, request_id="job-1")["Id"] == "71"

    assert [r.query["requestid"] for r in stub.received] == ["job-1"] * 3
    assert [r.json() for r in stub.received] == [{"DisplayName": "A"}] * 3


def test_retries_stop_after_max_retries_with_the_typed_error(stub, tokens):
    client = QboClient(make_config(stub.url, max_retries=2), REALM, tokens)
    for _ in range(4):
        stub.add_json(502, fault("10000", "Gateway trouble"), TID)

    with pytest.raises(QboServerError) as caught:
        client.read("Item", "1")

    assert len(stub.received) == 3
    assert caught.value.intuit_tid == "1-abc-tid"


def test_a_429_then_success_succeeds_after_waiting_retry_after(stub, client):
    stub.add_json(429, fault("3001", "ThrottleExceeded"), {"Retry-After": "0.3"})
    stub.add_json(200, {"Item": {"Id": "1"}})

    started = time.monotonic()
    assert client.read("Item", "1") == {"Id": "1"}

    assert time.monotonic() - started >= 0.3
    assert len(stub.received) == 2


def test_a_retry_after_beyond_the_backoff_cap_is_left_to_the_caller(stub, tokens):
    client = QboClient(make_config(stub.url, backoff_cap=1.0), REALM, tokens)
    throttled = (
        '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE">'
        '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001</Message>'
        "</Error></Fault></IntuitResponse>"
    )
    stub.add(429, throttled, headers={"Content-Type": "application/xml", "Retry-After": "60"})

    with pytest.raises(QboThrottledError) as caught:
        client.read("Item", "1")

    assert caught.value.retry_after == 60.0
    assert len(stub.received) == 1


def test_validation_faults_are_not_retried(stub, client):
    stub.add_json(400, fault("6240", "Duplicate Name Exists Error"), TID)

    with pytest.raises(QboDuplicateNameError) as caught:
        client.create("Customer", {"DisplayName": "Amy"}, request_id="j")

    assert len(stub.received) == 1
    assert "6240" in str(caught.value)
    assert "1-abc-tid" in str(caught.value)


def test_a_401_refreshes_once_and_retries_with_the_new_token(stub, client, tokens):
    stub.add_json(401, {"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}]}})
    stub.add_json(200, {"Item": {"Id": "1"}})

    assert client.read("Item", "1") == {"Id": "1"}

    assert tokens.refreshed_from == [ACCESS]
    assert [r.headers["Authorization"] for r in stub.received] == [
        f"Bearer {ACCESS}",
        f"Bearer {FRESH}",
    ]


def test_a_second_401_raises_without_another_refresh(stub, client, tokens):
    stub.add_json(401, {"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}]}})
    stub.add_json(401, {"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}]}})

    with pytest.raises(QboAuthenticationError):
        client.read("Item", "1")

    assert tokens.refreshed_from == [ACCESS]
    assert len(stub.received) == 2


def test_a_timeout_is_retried(stub, tokens):
    client = QboClient(make_config(stub.url, timeout=0.2), REALM, tokens)
    stub.add_json(200, {"Item": {"Id": "late"}})
    stub.answers[0].delay = 0.6
    stub.add_json(200, {"Item": {"Id": "1"}})

    assert client.read("Item", "1") == {"Id": "1"}
    assert len(stub.received) == 2


def test_a_dropped_connection_is_retried(stub, client):
    stub.add(drop=True)
    stub.add_json(200, {"Customer": {"Id": "9"}})

    assert client.create("Customer", {"DisplayName": "B"}, request_id="job-2")["Id"] == "9"
    assert [r.query["requestid"] for r in stub.received] == ["job-2", "job-2"]


def test_connection_refused_ends_in_a_transport_error(tokens):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = QboClient(make_config(f"http://127.0.0.1:{port}", max_retries=1), REALM, tokens)

    with pytest.raises(QboTransportError) as caught:
        client.read("Item", "1")

    assert caught.value.retriable
    assert caught.value.status is None


def test_the_limiter_slot_is_held_per_attempt_and_not_while_backing_off(stub, tokens):
    limiter = RecordingLimiter()
    client = QboClient(make_config(stub.url), REALM, tokens, limiter=limiter)
    stub.add_json(503, fault("10000"))
    stub.add_json(200, {"Item": {"Id": "1"}})

    client.read("Item", "1")

    assert limiter.events == [f"enter {REALM}", "exit", f"enter {REALM}", "exit"]


@pytest.mark.parametrize(("room_taken", "first"), [(False, " batch"), (True, "")])
def test_every_attempt_of_a_batch_takes_batch_room_but_a_first_already_counted(
    stub, tokens, room_taken, first
):
    """A worker that took the batch window's room before composing sends its first attempt in
    a plain slot; a retry is one more batch request to QBO, and takes room of its own."""
    limiter = RecordingLimiter()
    client = QboClient(make_config(stub.url), REALM, tokens, limiter=limiter)
    stub.add_json(503, fault("10000"))
    stub.add_json(200, {"BatchItemResponse": [{"bId": "1", "Vendor": {"Id": "7"}}]})

    operation = {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "x"}}
    assert client.batch([operation], room_taken=room_taken) == [{"Id": "7"}]

    entered = [event for event in limiter.events if event != "exit"]
    assert entered == [f"enter {REALM}{first}", f"enter {REALM} batch"]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("<html><body>Maintenance</body></html>", "text/html", "Expected a JSON object"),
        ('{"Item": {"Id": "1"', "application/json", "Expected a JSON object"),
        ('["not", "an", "object"]', "application/json", "Expected a JSON object"),
        ('{"Items": {"Id": "1"}}', "application/json", "Expected a 'Item' object"),
        ('{"Item": ["1"]}', "application/json", "Expected a 'Item' object"),
    ],
)
def test_a_2xx_answer_without_the_expected_json_is_malformed(
    stub, client, body, content_type, expected
):
    stub.add(200, body, headers={"Content-Type": content_type})

    with pytest.raises(QboMalformedResponseError, match=expected):
        client.read("Item", "1")
    assert len(stub.received) == 1


def test_a_fault_inside_a_200_answer_raises_it(stub, client):
    stub.add_json(200, fault("610", "Object Not Found"))

    with pytest.raises(QboNotFoundError):
        client.read("Item", "1")


def test_query_sends_the_statement_as_a_url_parameter(stub, client):
    stub.add_json(200, {"QueryResponse": {"Item": [{"Id": "1"}, {"Id": "2"}], "maxResults": 2}})
    stub.add_json(200, {"QueryResponse": {}})

    assert client.query("SELECT * FROM Item") == [{"Id": "1"}, {"Id": "2"}]
    assert client.query("SELECT * FROM Item WHERE Name = 'none'") == []
    assert stub.received[0].query["query"] == "SELECT * FROM Item"


@pytest.mark.parametrize(
    ("sample", "entity", "name"),
    [
        ("get__display_name.json", "Customer", "Amy's Bird Sanctuary"),
        ("misc__ampersand.json", "Vendor", "Robertson & Associates"),
    ],
)
def test_quoted_names_reach_qbo_as_in_the_recordings(stub, client, sample, entity, name):
    recorded = json.loads((SAMPLES / sample).read_text())[0]
    stub.add_json(200, recorded["response"]["body"])

    rows = client.query(select(entity, {"DisplayName": name}))

    recorded_query = parse_qs(urlsplit(recorded["request"]["uri"]).query)["query"][0]
    assert stub.received[0].query["query"] == recorded_query
    assert rows[0]["DisplayName"] == name


def test_quote_escapes_quotes_and_backslashes_and_formats_values():
    assert quote("Amy's") == "'Amy\\'s'"
    assert quote("C:\\path") == "'C:\\\\path'"
    assert quote(True) == "true"
    assert quote(datetime(2024, 5, 1, 12, tzinfo=UTC)) == "'2024-05-01T12:00:00+00:00'"
    with pytest.raises(ValueError, match="timezone-aware"):
        quote(datetime(2024, 5, 1))


def test_select_builds_and_joined_equality_and_in_conditions():
    assert select("Item") == "SELECT * FROM Item"
    assert select("Vendor", {"Active": [True, False], "DisplayName": "R & A's"}) == (
        "SELECT * FROM Vendor WHERE Active IN (true, false) AND DisplayName = 'R & A\\'s'"
    )
    assert select("Customer", {"Id": ["5", "6"]}, count=True) == (
        "SELECT COUNT(*) FROM Customer WHERE Id IN ('5', '6')"
    )
    with pytest.raises(ValueError, match="field name"):
        select("Item", {"Name = 'x' OR 1": "y"})
    with pytest.raises(ValueError, match="spelled as in QBO"):
        select("Item WHERE", {})


def test_a_long_query_is_posted_as_text(stub, tokens):
    client = QboClient(make_config(stub.url, query_get_max_chars=50), REALM, tokens)
    statement = select("Item", {"Id": [str(n) for n in range(40)]})
    stub.add_json(200, {"QueryResponse": {"Item": [{"Id": "1"}]}})

    assert client.query(statement) == [{"Id": "1"}]

    request = stub.received[0]
    assert (request.method, request.path) == ("POST", f"/v3/company/{REALM}/query")
    assert request.headers["Content-Type"] == "application/text"
    assert request.body.decode() == statement
    assert "query" not in request.query


@pytest.mark.parametrize(("total", "calls"), [(0, 1), (3, 2), (4, 3), (5, 3)])
def test_query_pages_costs_one_call_per_page_plus_one_only_on_an_exact_multiple(
    stub, client, total, calls
):
    rows = [{"Id": str(n)} for n in range(total)]
    for start in range(0, total + 2, 2):
        page = rows[start : start + 2]
        stub.add_json(200, {"QueryResponse": {"Item": page} if page else {}})

    pages = list(client.query_pages("SELECT * FROM Item", page_size=2))

    assert [row for page in pages for row in page] == rows
    assert len(stub.received) == calls
    assert [r.query["query"] for r in stub.received][:2] == [
        "SELECT * FROM Item STARTPOSITION 1 MAXRESULTS 2",
        "SELECT * FROM Item STARTPOSITION 3 MAXRESULTS 2",
    ][:calls]


def test_query_pages_refuses_a_statement_that_pages_itself(client):
    with pytest.raises(ValueError, match="STARTPOSITION"):
        next(client.query_pages("SELECT * FROM Item MAXRESULTS 10"))


def test_count_reads_total_count(stub, client):
    stub.add_json(200, {"QueryResponse": {"totalCount": 41}})
    stub.add_json(200, {"QueryResponse": {}})

    assert client.count("SELECT COUNT(*) FROM Customer") == 41
    with pytest.raises(QboMalformedResponseError, match="totalCount"):
        client.count("SELECT COUNT(*) FROM Customer")


def test_cdc_groups_changes_by_entity(stub, client):
    stub.add_json(
        200,
        {
            "CDCResponse": [
                {
                    "QueryResponse": [
                        {"Item": [{"Id": "1"}, {"Id": "2", "Active": False}], "maxResults": 2},
                        {"Account": [{"Id": "30"}]},
                    ]
                },
                {"QueryResponse": [{"Item": [{"Id": "3"}]}]},
            ]
        },
    )
    since = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-7)))

    answer = client.cdc(["Item", "Account", "Class"], since)

    assert answer.changes == {
        "Item": [{"Id": "1"}, {"Id": "2", "Active": False}, {"Id": "3"}],
        "Account": [{"Id": "30"}],
        "Class": [],
    }
    assert answer.answered_at is None  # this answer carries no time
    request = stub.received[0]
    assert request.path == f"/v3/company/{REALM}/cdc"
    assert request.query["entities"] == "Item,Account,Class"
    assert request.query["changedSince"] == "2024-05-01T09:30:00-07:00"


def test_cdc_parses_the_recorded_answer(stub, client):
    recorded = json.loads((SAMPLES / "cdc__basic.json").read_text())[0]["response"]["body"]
    stub.add_json(200, recorded)

    answer = client.cdc(["Estimate"], datetime(2011, 10, 10, tzinfo=UTC))

    assert answer.changes["Estimate"]
    assert all("Id" in row for row in answer.changes["Estimate"])
    # QBO's clock when it answered ("2020-09-29T08:02:53.512-07:00"): the next watermark.
    assert answer.answered_at == datetime(2020, 9, 29, 15, 2, 53, 512000, tzinfo=UTC)


@pytest.mark.parametrize(
    "stamp", [None, 1601391773, "", "yesterday", "2020-09-29T08:02:53", "2020-13-45T99:00:00Z"]
)
def test_a_cdc_answer_without_a_readable_time_has_none(stub, client, stamp):
    """A missing, numeric, local or broken time is no QBO time: the caller falls back."""
    body = {"CDCResponse": [{"QueryResponse": [{"Item": [{"Id": "1"}]}]}]}
    stub.add_json(200, body if stamp is None else {**body, "time": stamp})

    answer = client.cdc(["Item"], datetime(2026, 1, 1, tzinfo=UTC))

    assert answer.changes["Item"] == [{"Id": "1"}] and answer.answered_at is None


def test_a_capped_cdc_answer_still_says_when_qbo_answered(stub, client):
    rows = [{"Id": str(n)} for n in range(1000)]
    stub.add_json(
        200,
        {"CDCResponse": [{"QueryResponse": [{"Item": rows}]}], "time": "2026-11-02T10:00:00Z"},
    )

    with pytest.raises(QboCdcTruncatedError) as capped:
        client.cdc(["Item"], datetime(2026, 11, 1, tzinfo=UTC))

    assert capped.value.answered_at == datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_cdc_needs_an_aware_datetime_and_a_cdc_response(stub, client):
    with pytest.raises(ValueError, match="timezone-aware"):
        client.cdc(["Item"], datetime(2024, 1, 1))
    stub.add_json(200, {"QueryResponse": {}})
    with pytest.raises(QboMalformedResponseError, match="CDCResponse"):
        client.cdc(["Item"], datetime(2024, 1, 1, tzinfo=UTC))


def _batch_answer(request_body: dict) -> dict:
    answers = []
    for item in request_body["BatchItemRequest"]:
        if item["Vendor"]["DisplayName"] == "taken":
            answers.append({"bId": item["bId"], **fault("6240", "Duplicate Name Exists Error")})
        else:
            answers.append({"bId": item["bId"], "Vendor": {"Id": item["bId"]}})
    return {"BatchItemResponse": list(reversed(answers))}


def test_batch_chunks_by_thirty_and_returns_results_in_order(stub, client):
    operations = [
        {"operation": "create", "Vendor": {"DisplayName": "taken" if n == 31 else f"V{n}"}}
        for n in range(32)
    ]
    bids = [str(n) for n in range(32)]
    request_bodies = [
        {"BatchItemRequest": [{**op, "bId": bid} for op, bid in zip(ops, ids, strict=True)]}
        for ops, ids in ((operations[:30], bids[:30]), (operations[30:], bids[30:]))
    ]
    for body in request_bodies:
        stub.add_json(200, _batch_answer(body), TID)

    results = client.batch(operations, request_id="sync-7")

    assert [r.json() for r in stub.received] == request_bodies
    assert [r.query["requestid"] for r in stub.received] == ["sync-7-0", "sync-7-1"]
    assert results[:31] == [{"Id": str(n)} for n in range(31)]
    assert isinstance(results[31], QboDuplicateNameError)
    assert results[31].intuit_tid == "1-abc-tid"


def test_batch_keeps_given_bids_and_reports_missing_answers(stub, client):
    stub.add_json(200, {"BatchItemResponse": [{"bId": "a", "Vendor": {"Id": "1"}}]})

    with pytest.raises(QboMalformedResponseError, match="'b'"):
        client.batch(
            [
                {"bId": "a", "operation": "create", "Vendor": {"DisplayName": "x"}},
                {"bId": "b", "operation": "create", "Vendor": {"DisplayName": "y"}},
            ]
        )
    assert stub.received[0].query["requestid"]


@pytest.mark.parametrize(("request_id", "bid"), [("r" * 37, "b"), ("r" * 32, "b" * 11)])
def test_a_batch_past_qbos_requestid_and_bid_lengths_is_never_sent(stub, client, request_id, bid):
    """At most 36 characters of requestid and 10 of each bId: QBO keys each item by both."""
    with pytest.raises(ValueError, match="requestid may have 36 characters and each bId 10"):
        client.batch(
            [{"bId": bid, "operation": "create", "Vendor": {"DisplayName": "x"}}],
            request_id=request_id,
        )
    assert stub.received == []


def test_company_info_and_preferences(stub, client):
    stub.add_json(200, {"CompanyInfo": {"CompanyName": "Sandbox Co"}})
    stub.add_json(200, {"Preferences": {"AccountingInfoPrefs": {"ClassTrackingPerTxn": False}}})

    assert client.company_info() == {"CompanyName": "Sandbox Co"}
    assert client.preferences()["AccountingInfoPrefs"] == {"ClassTrackingPerTxn": False}
    assert [r.path for r in stub.received] == [
        f"/v3/company/{REALM}/companyinfo/{REALM}",
        f"/v3/company/{REALM}/preferences",
    ]


def test_one_log_line_per_call_and_no_token_anywhere_in_the_logs(stub, client, caplog):
    caplog.set_level(logging.DEBUG)
    stub.add_json(503, fault("10000"), TID)
    stub.add_json(401, {"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}]}})
    stub.add_json(200, {"Item": {"Id": "1"}}, TID)

    client.read("Item", "1")

    lines = [r.getMessage() for r in caplog.records if r.name == "integrations.qbo"]
    assert len(lines) == 3
    assert lines[0].startswith("qbo GET item/1 status=503 duration_ms=")
    assert "intuit_tid=1-abc-tid attempt=1" in lines[0]
    assert "error=QboServerError code=10000" in lines[0]
    assert "attempt=3" in lines[2]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (ACCESS, FRESH, "client-secret", "Authorization"):
        assert secret not in everything


def test_configs_refuse_plain_http_off_this_machine():
    with pytest.raises(ValueError, match="must be https"):
        make_config("http://quickbooks.example.com")
    assert "client-secret" not in repr(make_config("https://quickbooks.api.intuit.com"))


def test_every_error_is_a_qbo_error(stub, client):
    stub.add(500, b"", headers=TID)
    stub.add(500, b"", headers=TID)
    stub.add(500, b"", headers=TID)
    stub.add(500, b"", headers=TID)

    with pytest.raises(QboError, match="empty body"):
        client.read("Item", "1")
