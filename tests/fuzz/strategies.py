"""Shared strategies and settings for the fuzz tests: QBO's answers, recorded and broken.

`HYPOTHESIS_PROFILE=fuzz` runs every fuzz test with many more examples (a long local run);
the normal suite keeps each one small enough that tests/fuzz takes seconds.
"""

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.data import QBO_SAMPLES as SAMPLES

settings.register_profile(
    "fuzz-quick",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("fuzz", parent=settings.get_profile("fuzz-quick"))
LONG_RUN = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


def fuzz_settings(examples: int, *, long_run: int | None = None) -> settings:
    """`examples` in the normal suite, `long_run` (default 40×) under HYPOTHESIS_PROFILE=fuzz."""
    count = (long_run or examples * 40) if LONG_RUN else examples
    return settings(settings.get_profile("fuzz-quick"), max_examples=count)


# Every limit a parsed message must respect, whatever came in.
MAX_MESSAGE_CHARS = 2000


def recorded_responses() -> list[dict]:
    """Every recorded response (status, content type, headers, body as sent) in qbo-samples."""
    found = []
    for path in sorted(SAMPLES.glob("*.json")):
        for pair in json.loads(path.read_text()):
            response = pair["response"]
            body = response["body"]
            raw = body if isinstance(body, str) else json.dumps(body)
            found.append({**response, "raw": raw.encode(), "name": path.stem})
    return found


def recorded_xml() -> list[bytes]:
    """The XML fixtures (faults, batch, entities) as bytes."""
    return [path.read_bytes() for path in sorted((SAMPLES / "xml").glob("*.xml"))]


RECORDED = recorded_responses()
RECORDED_BODIES = [r["raw"] for r in RECORDED] + recorded_xml()

HTML_PAGES = [
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>",
    b"<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body>" + b"<p>Please try again later.</p>" * 400 + b"</body></html>",
    b"<HTML><BODY>An error occurred while processing your request.<p>Reference #97.5f</BODY>",
]
OTHER_BODIES = [
    b"",
    b" ",
    b"null",
    b"[]",
    b"0",
    b'"Fault"',
    b"{}",
    b'{"Fault": null}',
    b'{"Fault": []}',
    b'{"Fault": {"Error": 3}}',
    b'{"fault": {"error": [{"message": null}]}}',
    b'{"error": "invalid_grant"}',
    b'{"error": "invalid_token", "error_description": "Token expired"}',
    b"\xef\xbb\xbf" + b'{"Fault": {"Error": [{"Message": "BOM first", "code": "6000"}]}}',
    b"\xff\xfe\x00garbage",
    b"<?xml version='1.0'?><IntuitResponse><Fault/></IntuitResponse>",
    b"<!DOCTYPE lolz [<!ENTITY lol 'lol'>]><Fault><Error code='1'>&lol;</Error></Fault>",
    b"[" * 50_000,
    b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    b"<a>" * 5_000 + b"</a>" * 5_000,
    b"upstream connect error or disconnect/reset before headers",
    b"x" * 300_000,
]
SEED_BODIES = RECORDED_BODIES + HTML_PAGES + OTHER_BODIES

CONTENT_TYPES = st.sampled_from(
    [
        None,
        "",
        "application/json",
        "application/json;charset=utf-8",
        "application/xml",
        "text/xml",
        "text/html",
        "text/html; charset=iso-8859-1",
        "text/plain",
        "application/octet-stream",
    ]
)
STATUSES = st.sampled_from([200, 201, 400, 401, 403, 404, 429, 500, 502, 503, 504]) | st.integers(
    100, 599
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "intuit_tid": st.text(max_size=300),
        "Intuit-Tid": st.text(max_size=40),
        "Retry-After": st.sampled_from(["0", "60", "-5", "nan", "inf", "1e999", "soon", ""])
        | st.text(max_size=40),
    },
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)


@st.composite
def cut_bodies(draw, bodies=SEED_BODIES) -> bytes:
    """A recorded or known-bad body, cut off at any byte (or whole)."""
    body = draw(st.sampled_from(bodies))
    if draw(st.booleans()):
        return body
    return body[: draw(st.integers(0, len(body)))]


@st.composite
def mutated_bodies(draw, bodies=SEED_BODIES) -> bytes:
    """A known body with a few bytes overwritten, inserted or dropped."""
    body = bytearray(draw(st.sampled_from(bodies))[:20_000])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["flip", "insert", "drop"]))
        if action == "insert" or not body:
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "flip":
            body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
        else:
            del body[at : at + draw(st.integers(1, 16))]
    return bytes(body)


def _key(name: str):
    """A key as QBO spells it, or as the gateway does (lowercase first letter)."""
    return st.sampled_from([name, name[0].lower() + name[1:]])


# Long text is made by repeating short text: generating 6000 random characters is slow.
big_text = st.builds(
    lambda text, times: text * times, st.text(min_size=1, max_size=30), st.integers(1, 300)
)

error_objects = st.fixed_dictionaries(
    {},
    optional={
        "Message": json_values | big_text,
        "message": json_values,
        "Detail": json_values | big_text,
        "detail": json_values,
        "code": st.sampled_from(["6240", "610", "2500", "5010", "6540", "3200", "3100", "3001"])
        | json_values,
        "element": json_values,
    },
)


@st.composite
def fault_documents(draw) -> object:
    """A JSON document shaped like a QBO Fault, with any member possibly odd or missing."""
    errors = draw(st.lists(error_objects | json_values, max_size=8) | error_objects | json_values)
    fault = {draw(_key("Error")): errors}
    if draw(st.booleans()):
        fault["type"] = draw(
            st.sampled_from(["ValidationFault", "SERVICE", "AUTHENTICATION"]) | json_values
        )
    document = {draw(_key("Fault")): fault}
    if draw(st.booleans()):
        document["time"] = draw(json_values)
    return draw(st.sampled_from([document, fault, [document], {"IntuitResponse": document}]))


def dumps(document: object) -> bytes:
    """JSON as QBO would send it (NaN and Infinity included when they occur)."""
    return json.dumps(document).encode()


any_body = (
    cut_bodies()
    | mutated_bodies()
    | st.binary(max_size=2000)
    | st.text(max_size=2000).map(str.encode)
    | fault_documents().map(dumps)
    | json_values.map(dumps)
)
