"""Every error answer QBO gives, recorded or broken, becomes a typed QboError."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.qbo.errors import (
    RETRY_AFTER_CAP_SECONDS,
    QboAuthenticationError,
    QboAuthorizationError,
    QboDuplicateNameError,
    QboError,
    QboNotFoundError,
    QboServerError,
    QboStaleObjectError,
    QboThrottledError,
    QboValidationError,
    fault_error,
    parse_fault,
    retry_after_seconds,
)
from tests.data import QBO_SAMPLES as SAMPLES


def _recorded_errors():
    """(name, response) for every recorded JSON answer with an error status."""
    for path in sorted(SAMPLES.glob("*.json")):
        for index, pair in enumerate(json.loads(path.read_text())):
            if pair["response"]["status"] >= 400:
                yield pytest.param(pair["response"], id=f"{path.stem}[{index}]")


def _sample(name: str):
    return json.loads((SAMPLES / name).read_text())


@pytest.mark.parametrize("response", list(_recorded_errors()))
def test_every_recorded_json_fault_parses_with_its_code_message_and_tid(response):
    body = response["body"]
    fault = body.get("Fault") or body["fault"]
    first = {key.lower(): value for key, value in (fault.get("Error") or fault["error"])[0].items()}

    error = parse_fault(
        response["status"], json.dumps(body), response["content_type"], response["headers"]
    )

    assert isinstance(error, QboError)
    assert error.status == response["status"]
    assert error.code == first["code"]
    assert error.message == first["message"]
    assert error.intuit_tid == response["headers"]["Intuit-Tid"]
    assert error.fault_type == fault["type"]
    assert first["code"] in str(error)


def test_recorded_samples_map_to_the_expected_classes():
    cases = {
        "error__validation.json": (0, QboDuplicateNameError),
        "error__401.json": (0, QboAuthenticationError),
        "error__400_json.json": (0, QboValidationError),
        "error__500.json": (1, QboValidationError),
    }
    for name, (index, expected) in cases.items():
        response = _sample(name)[index]["response"]
        error = parse_fault(response["status"], json.dumps(response["body"]), None, {})
        assert type(error) is expected, name


def test_lowercase_gateway_fault_parses_and_hides_the_token_in_its_detail():
    response = _sample("error__401.json")[0]["response"]
    raw_detail = response["body"]["fault"]["error"][0]["detail"]
    token = raw_detail.split(": ", 1)[1]

    error = parse_fault(401, json.dumps(response["body"]).encode(), "application/json", {})

    assert isinstance(error, QboAuthenticationError)
    assert error.code == "3200"
    assert error.detail == "Token expired: [redacted]"
    assert token not in str(error)
    assert not error.retriable


def test_batch_item_faults_parse_one_by_one():
    answers = _sample("batch__basic.json")[0]["response"]["body"]["BatchItemResponse"]
    faults = {a["bId"]: fault_error(a["Fault"], status=None) for a in answers if "Fault" in a}

    assert isinstance(faults["bid2"], QboNotFoundError)
    assert isinstance(faults["bid3"], QboStaleObjectError)
    assert faults["bid3"].message == "Stale Object Error"
    assert faults["bid2"].element == ""


@pytest.mark.parametrize(
    ("name", "status", "expected", "code", "count"),
    [
        ("throttle_exceeded_error.xml", 403, QboThrottledError, "3001", 1),
        ("too_many_requests_error.xml", 429, QboThrottledError, "3001", 1),
        ("customer_duplicate_error.xml", 400, QboDuplicateNameError, "6240", 1),
        ("fault.xml", 400, QboValidationError, "2050", 2),
        ("batch_response.xml", 200, QboValidationError, "2050", 2),
    ],
)
def test_xml_faults_parse_with_or_without_the_namespace(name, status, expected, code, count):
    error = parse_fault(status, (SAMPLES / "xml" / name).read_bytes(), "application/xml", {})

    assert type(error) is expected
    assert error.code == code
    assert len(error.errors) == count
    assert error.message and error.detail


def test_xml_throttle_fault_is_retriable_and_reads_retry_after():
    body = (SAMPLES / "xml" / "too_many_requests_error.xml").read_bytes()

    error = parse_fault(429, body, "application/xml", {"Retry-After": "60", "intuit_tid": "t-9"})

    assert error.retriable
    assert error.retry_after == 60.0
    assert error.intuit_tid == "t-9"
    assert error.message == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    assert error.detail == "The request limit was reached.  Try again later"


def test_fault_xml_fields_are_read_from_elements_and_attributes():
    body = (
        '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
        '<Fault type="ValidationFault"><Error code="2500" element="ItemRef">'
        "<Message>Invalid Reference Id</Message><Detail>Item 9 not found</Detail>"
        "</Error></Fault></IntuitResponse>"
    )

    error = parse_fault(400, body, "text/xml", {})

    assert (error.code, error.element, error.fault_type) == ("2500", "ItemRef", "ValidationFault")
    assert str(error) == (
        "Invalid Reference Id: Item 9 not found (code 2500, HTTP 400, element ItemRef)"
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, QboValidationError),
        (401, QboAuthenticationError),
        (403, QboAuthorizationError),
        (404, QboValidationError),
        (429, QboThrottledError),
        (500, QboServerError),
        (502, QboServerError),
        (503, QboServerError),
    ],
)
def test_html_error_pages_become_the_error_for_their_status(status, expected):
    page = b"<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body>oops</body></html>"

    error = parse_fault(status, page, "text/html", {"intuit_tid": "t-1"})

    assert type(error) is expected
    assert error.message == f"QuickBooks answered HTTP {status} with an HTML page: Bad Gateway"
    assert error.intuit_tid == "t-1"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        None,
        b'{"Fault":{"Error":[{"Message":"Dupl',
        b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault><Err',
        b"\xff\xfe\x00garbage",
        b'{"unexpected": true}',
        b"[1, 2, 3]",
        b"<html",
        b'{"Fault": "not an object"}',
        b'{"Fault": {"Error": "not a list"}}',
    ],
)
def test_truncated_and_unexpected_bodies_never_break_the_parser(body):
    error = parse_fault(502, body, None, None)

    assert isinstance(error, QboServerError)
    assert error.status == 502
    assert str(error)


def test_an_empty_body_says_so():
    assert parse_fault(503, b"", None, {}).message == (
        "QuickBooks answered HTTP 503 with an empty body"
    )


def test_xml_with_a_dtd_is_not_parsed():
    body = (
        '<?xml version="1.0"?><!DOCTYPE f [<!ENTITY e "expanded">]>'
        '<Fault><Error code="1"><Message>&e;</Message></Error></Fault>'
    )

    error = parse_fault(400, body, "application/xml", {})

    assert error.code == ""
    assert error.errors == ()
    assert error.message.startswith("QuickBooks answered HTTP 400 with a body that is not")


def test_retry_after_as_an_http_date_is_read_as_seconds():
    error = parse_fault(429, b"", None, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

    assert error.retry_after == 0.0


@given(status=st.integers(min_value=100, max_value=599), body=st.binary(max_size=300))
def test_any_body_gives_a_qbo_error_and_never_an_exception(status, body):
    assert isinstance(parse_fault(status, body, None, {}), QboError)


@pytest.mark.parametrize(
    ("header_value", "seconds"),
    [
        ("60", 60.0),
        ("-5", 0.0),
        ("1e12", RETRY_AFTER_CAP_SECONDS),
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_CAP_SECONDS),
        ("inf", None),
        ("nan", None),
        ("1e999", None),
        ("soon", None),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
    ],
)
def test_retry_after_is_capped_at_an_hour_and_ignored_unless_seconds_or_a_date(
    header_value, seconds
):
    assert retry_after_seconds({"Retry-After": header_value}) == seconds


def test_a_nul_anywhere_in_a_fault_is_dropped():
    body = json.dumps(
        {"Fault": {"Error": [{"Message": "Bad\x00", "Detail": "x\x00y", "code": "60\x0000"}]}}
    )

    error = parse_fault(400, body, "application/json", {"intuit_tid": "t\x00id"})

    assert (error.message, error.detail, error.code, error.intuit_tid) == (
        "Bad",
        "xy",
        "6000",
        "tid",
    )
    assert "\x00" not in str(error) + repr(error.errors)


def test_a_120_authorization_failure_is_not_taken_for_an_expired_token():
    """QBO sends fault 120 with HTTP 401; the cure is a reconnect by an admin, not a refresh."""
    body = {
        "Fault": {
            "Error": [
                {
                    "Message": "Authorization Failure",
                    "Detail": "AuthorizationFailure: -11014-You do not have access to use "
                    "QuickBooks Online Plus.",
                    "code": "120",
                }
            ],
            "type": "AuthorizationFault",
        }
    }

    error = parse_fault(401, json.dumps(body), "application/json", {})

    assert type(error) is QboAuthorizationError
    assert (error.code, error.status, error.fault_type) == ("120", 401, "AuthorizationFault")
