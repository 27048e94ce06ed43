"""Any error answer, whatever its shape, becomes a typed QboError with a short, readable message."""

import json
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integrations.qbo.errors import (
    DETAIL_CHARS,
    MESSAGE_CHARS,
    QboError,
    QboServerError,
    QboThrottledError,
    error_class,
    fault_error,
    parse_fault,
)

from .strategies import (
    CONTENT_TYPES,
    HEADERS,
    HTML_PAGES,
    MAX_MESSAGE_CHARS,
    RECORDED,
    STATUSES,
    any_body,
    cut_bodies,
    fault_documents,
    fuzz_settings,
    json_values,
)


def assert_readable(error: object) -> None:
    """A QboError whose text is bounded and shows no raw multi-KB body."""
    assert isinstance(error, QboError), type(error)
    text = str(error)
    assert text.strip()
    assert len(text) <= MAX_MESSAGE_CHARS
    assert len(error.message) <= MESSAGE_CHARS
    assert len(error.detail) <= DETAIL_CHARS
    for item in error.errors:
        assert all(isinstance(value, str) for value in item.values())
    assert isinstance(error.code, str) and len(error.code) <= 20  # SyncJob.last_error_code


@fuzz_settings(150)
@given(status=STATUSES, body=any_body, content_type=CONTENT_TYPES, headers=HEADERS)
@example(status=400, body=b'{"Fault":{"Error":5}}', content_type=None, headers={})
@example(status=400, body=b'{"Fault":{"Error":true}}', content_type=None, headers={})
@example(
    status=502, body=b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", content_type=None, headers={}
)
@example(status=400, body=b'{"Fault":{"Error":[{"Message":"' + b"x" * 20000 + b'"}]}}',
         content_type="application/json", headers={})  # fmt: skip
def test_any_error_answer_becomes_a_readable_qbo_error(status, body, content_type, headers):
    assert_readable(parse_fault(status, body, content_type, headers))


@fuzz_settings(100)
@given(status=STATUSES, body=any_body, content_type=CONTENT_TYPES)
def test_a_body_given_as_text_reads_the_same_as_bytes(status, body, content_type):
    text = body.decode("utf-8", errors="replace")
    from_bytes = parse_fault(status, body, content_type, {})
    from_text = parse_fault(status, text, content_type, {})
    assert_readable(from_text)
    assert (type(from_text), from_text.code, from_text.message) == (
        type(from_bytes),
        from_bytes.code,
        from_bytes.message,
    )


@fuzz_settings(150)
@given(fault=json_values | fault_documents(), status=st.none() | STATUSES)
def test_fault_error_reads_any_json_as_a_fault(fault, status):
    """Batch items hand their `Fault` member straight to fault_error, whatever it holds."""
    assert_readable(
        fault_error(fault if isinstance(fault, dict) else {"Error": fault}, status=status)
    )


@fuzz_settings(60)
@given(body=cut_bodies(bodies=[r["raw"] for r in RECORDED if r["status"] >= 400]))
def test_a_recorded_fault_cut_off_at_any_byte_still_gives_a_readable_error(body):
    assert_readable(parse_fault(400, body, "application/json", {"intuit_tid": "1-tid"}))


# What QBO puts in a Fault, and what must come back out of it unchanged.
codes = st.sampled_from(["6240", "610", "2500", "5010", "6540", "3200", "3100", "3001", "6000"])
field_text = st.text(
    st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=120
).filter(lambda text: text.strip() == text and text)
tokenless = field_text.filter(lambda text: not any(len(w) >= 40 for w in text.split()))


@fuzz_settings(100)
@given(
    code=codes,
    message=tokenless,
    detail=tokenless,
    lowercase=st.booleans(),
    status=st.sampled_from([400, 401, 403, 429, 500, 503]),
)
def test_a_json_fault_in_either_key_case_keeps_its_code_message_and_detail(
    code, message, detail, lowercase, status
):
    keys = (
        ("fault", "error", "message", "detail")
        if lowercase
        else ("Fault", "Error", "Message", "Detail")
    )
    body = {keys[0]: {keys[1]: [{keys[2]: message, keys[3]: detail, "code": code}], "type": "X"}}

    error = parse_fault(status, json.dumps(body).encode(), "application/json", {})

    assert (error.code, error.message, error.detail, error.fault_type) == (
        code,
        message,
        detail,
        "X",
    )
    assert code in str(error)


def xml_can_hold(text: str) -> bool:
    """Whether an XML 1.0 document can carry `text` (its Char production, less controls):
    QBO's XML faults are XML, so U+FFFE in one is a broken body, not a message to keep."""
    return all(ord(c) >= 0x20 and c not in "\ufffe\uffff" for c in text)


@fuzz_settings(100)
@given(
    code=codes,
    message=tokenless.filter(xml_can_hold),
    detail=tokenless.filter(xml_can_hold),
    namespaced=st.booleans(),
    content_type=CONTENT_TYPES,
)
def test_an_xml_fault_keeps_its_code_message_and_detail_under_any_content_type(
    code, message, detail, namespaced, content_type
):
    xmlns = ' xmlns="http://schema.intuit.com/finance/v3"' if namespaced else ""
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse{xmlns}>'
        f'<Fault type="SERVICE"><Error code={quoteattr(code)}><Message>{escape(message)}</Message>'
        f"<Detail>{escape(detail)}</Detail></Error></Fault></IntuitResponse>"
    ).encode()

    error = parse_fault(429, body, content_type, {})

    assert (error.code, error.message, error.detail) == (code, message.strip(), detail.strip())
    assert type(error) is error_class(429, code)  # the code decides, else the status
    assert error.retriable == (code == "3001" or type(error) is QboThrottledError)


@pytest.mark.parametrize("page", HTML_PAGES)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_html_page_is_a_retriable_server_error_named_by_its_title(page, status):
    error = parse_fault(status, page, "text/html", {})

    assert isinstance(error, QboServerError) and error.retriable
    assert "HTML page" in error.message
    assert "<" not in error.message
    assert_readable(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "an empty body"),
        (b'{"Fault": {"Error": [{"Message": "Stale Obj', "not a readable Fault"),
        (b'{"error": "invalid_token", "error_description": "Token expired"}', "invalid_token"),
        (b'\xef\xbb\xbf{"Fault": {"Error": [{"Message": "BOM", "code": "6000"}]}}', "BOM"),
    ],
)
def test_empty_cut_off_oauth_shaped_and_bom_bodies_say_what_they_are(body, expected):
    error = parse_fault(401, body, "application/json", {})

    assert expected in str(error)
    assert_readable(error)
