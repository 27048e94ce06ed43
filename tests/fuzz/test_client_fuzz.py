"""The client reads any 2xx answer as the object it expected, or raises a typed QboError."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from integrations.qbo.client import QboClient, _batch_result, _document, _unwrap
from integrations.qbo.config import QboConfig
from integrations.qbo.errors import QboError, QboMalformedResponseError

from .strategies import (
    CONTENT_TYPES,
    RECORDED,
    any_body,
    big_text,
    cut_bodies,
    dumps,
    fault_documents,
    fuzz_settings,
    json_values,
)
from .test_faults_fuzz import assert_readable

OK_BODIES = [r["raw"] for r in RECORDED if r["status"] < 300 and r["raw"].startswith(b"{")]


def response(
    status: int, body: bytes, content_type: str | None = "application/json"
) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = body
    answer.headers = CaseInsensitiveDict({"Content-Type": content_type} if content_type else {})
    answer.encoding = None
    return answer


class CannedSession:
    """Stands in for the HTTP session: the canned answer, then empty query pages."""

    def __init__(self, answer: requests.Response) -> None:
        self.answer = answer
        self.token = None
        self.sent = 0

    def request(self, method, url, **kwargs) -> requests.Response:
        self.sent += 1
        if self.sent > 3:  # retries and query_pages end here instead of paging for ever
            return response(200, b'{"QueryResponse": {}}')
        return self.answer


class Tokens:
    def access_token(self) -> str:
        return "access"

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return "fresh"


def client_answering(answer: requests.Response) -> QboClient:
    config = QboConfig(
        client_id="id",
        client_secret="secret",
        redirect_uri="http://127.0.0.1/cb",
        authorize_url="http://127.0.0.1/a",
        token_url="http://127.0.0.1/t",
        revoke_url="http://127.0.0.1/r",
        api_base_url="http://127.0.0.1:9",
        max_retries=1,
        backoff_base=0.0,
        backoff_cap=0.0,
    )
    return QboClient(config, "123", Tokens(), session=CannedSession(answer))


bodies = any_body | cut_bodies(bodies=OK_BODIES) | st.sampled_from(OK_BODIES)


@fuzz_settings(100)
@given(status=st.sampled_from([200, 201, 204]), body=bodies, content_type=CONTENT_TYPES)
@example(status=200, body=b"[" * 5000 + b"]" * 5000, content_type="application/json")
@example(status=200, body=b'{"Fault": {"Error": 1}}', content_type="application/json")
def test_document_gives_an_object_or_a_typed_error(status, body, content_type):
    try:
        document = _document(response(status, body, content_type), "GET item/1", "tid")
    except QboError as error:
        assert_readable(error)
    else:
        assert isinstance(document, dict)
        assert not isinstance(document.get("Fault") or document.get("fault"), dict)


@fuzz_settings(100)
@given(body=cut_bodies(bodies=OK_BODIES), content_type=CONTENT_TYPES)
def test_a_success_answer_cut_off_is_malformed_and_retriable(body, content_type):
    try:
        json.loads(body)
    except ValueError:
        with pytest.raises(QboMalformedResponseError) as caught:
            _document(response(200, body, content_type), "POST invoice", None)
        assert caught.value.retriable
        assert "Expected a JSON object from POST invoice" in str(caught.value)
        assert_readable(caught.value)


@fuzz_settings(60)
@given(
    document=st.dictionaries(st.text(max_size=20) | big_text, json_values, max_size=20),
    key=st.sampled_from(["Item", "Invoice"]),
)
def test_unwrap_gives_the_object_or_a_short_malformed_error(document, key):
    try:
        value = _unwrap(document, key, "GET item/1")
    except QboMalformedResponseError as error:
        assert_readable(error)
    else:
        assert value is document[key] and isinstance(value, dict)


batch_answers = st.dictionaries(
    st.sampled_from(["bId", "Item", "Invoice", "Fault", "fault", "status", "time"])
    | st.text(max_size=8),
    json_values | fault_documents(),
    max_size=5,
)


@fuzz_settings(50)
@given(answer=batch_answers)
@example(answer={"bId": "1", "fault": {"error": [{"message": "gone", "code": "610"}]}})
@example(answer={"bId": "1", "Fault": "boom"})
@example(answer={"bId": "1", "Item": {"Id": "5"}, "fault": None})
def test_a_batch_item_is_its_object_or_its_fault_as_a_typed_error(answer):
    try:
        result = _batch_result(answer, "tid")
    except QboMalformedResponseError as error:
        assert_readable(error)
        return
    if isinstance(result, QboError):
        assert_readable(result)
        assert answer.get("Fault", answer.get("fault")) is not None
    else:
        assert isinstance(result, dict)
        assert answer.get("Fault", answer.get("fault")) is None


def test_a_lowercase_fault_in_a_batch_item_is_an_error_not_an_object():
    result = _batch_result(
        {"bId": "7", "fault": {"error": [{"message": "Gone", "code": "610"}]}}, None
    )

    assert isinstance(result, QboError) and result.code == "610"


query_answers = st.fixed_dictionaries(
    {},
    optional={
        "QueryResponse": json_values
        | st.dictionaries(
            st.sampled_from(["Item", "Account", "startPosition", "maxResults", "totalCount"]),
            json_values | st.lists(json_values, max_size=3),
            max_size=4,
        ),
        "CDCResponse": json_values
        | st.lists(
            st.fixed_dictionaries(
                {
                    "QueryResponse": st.lists(
                        st.dictionaries(
                            st.sampled_from(["Item", "Class", "startPosition"]),
                            json_values | st.lists(json_values, max_size=3),
                            max_size=3,
                        ),
                        max_size=3,
                    )
                    | json_values
                }
            ),
            max_size=3,
        ),
        "BatchItemResponse": json_values | st.lists(batch_answers, max_size=3),
        "Fault": fault_documents(),
        "time": json_values,
    },
)

CALLS = {
    "query": lambda client: client.query("SELECT * FROM Item"),
    "count": lambda client: client.count("SELECT COUNT(*) FROM Item"),
    "cdc": lambda client: client.cdc(["Item", "Class"], datetime(2026, 1, 1, tzinfo=UTC)),
    "batch": lambda client: client.batch([{"bId": "1", "operation": "create", "Item": {}}]),
    "read": lambda client: client.read("Item", "1"),
    "pages": lambda client: list(client.query_pages("SELECT * FROM Item", page_size=2)),
}


def well_formed(call: str, result: object) -> bool:
    if call in ("query",):
        return isinstance(result, list) and all(isinstance(row, dict) for row in result)
    if call == "pages":
        return all(isinstance(row, dict) for page in result for row in page)
    if call == "count":
        return isinstance(result, int) and not isinstance(result, bool) and result >= 0
    if call == "cdc":
        rows_ok = all(isinstance(row, dict) for rows in result.changes.values() for row in rows)
        stamp = result.answered_at
        return rows_ok and (stamp is None or stamp.utcoffset() == timedelta(0))
    if call == "batch":
        return len(result) == 1 and isinstance(result[0], dict | QboError)
    return isinstance(result, dict)


@fuzz_settings(100)
@given(
    call=st.sampled_from(sorted(CALLS)),
    document=query_answers | json_values,
    raw=st.none() | any_body,
    status=st.sampled_from([200, 200, 200, 400, 401, 429, 500, 503]),
    content_type=CONTENT_TYPES,
)
def test_every_read_call_returns_its_shape_or_raises_a_typed_error(
    call, document, raw, status, content_type
):
    body = raw if raw is not None else dumps(document)
    client = client_answering(response(status, body, content_type))
    try:
        result = CALLS[call](client)
    except QboError as error:
        assert_readable(error)
    else:
        assert status < 300
        assert well_formed(call, result), result
