"""The query builder: any value QBO can compare with parses back to exactly itself; others raise.

QBO's query lexer reads Latin-1 only, so text with a character above U+00FF (’, –, 中) cannot
be written in a query: `select` refuses it, and `QboClient.find` asks for it with LIKE and
matches the rows exactly itself.
"""

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integrations.qbo.client import QboClient, _select, quote, select
from integrations.qbo.config import QboConfig
from integrations.qbo.errors import QboError
from integrations.sandbox import faults
from integrations.sandbox import query as sandbox_query
from integrations.sandbox.entities import NAME_REFUSED

from .strategies import SAMPLES, fuzz_settings

ENTITIES = {"customer": "Customer", "item": "Item", "vendor": "Vendor"}
FIELDS = {"DisplayName", "Name", "Id", "Active", "Type", "MetaData"}

# Every code point, lone surrogates and NUL included: the builder must answer for all of them.
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=[]))
nasty_text = st.lists(
    st.sampled_from(["'", "\\", "\\'", "''", "&", "%", "_", '"', ":", " ", "\n", "\t", "\r", "é",
                     "\u202e", "\u2028", "😀", "\x7f", "\x1b", "AND", "OR", ")", "(", "\\\\'",
                     "’", "–", "ł", "\xff", "\u0100", "MAXRESULTS"])
    | any_text,
    max_size=8,
).map("".join)  # fmt: skip


def parsed(statement: str) -> sandbox_query.Query:
    return sandbox_query.parse(statement, ENTITIES, lambda entity: FIELDS)


def expressible(text: str) -> bool:
    """What QBO's query language can carry: Latin-1 text without NUL."""
    return "\x00" not in text and all(ord(char) <= 0xFF for char in text)


def findable(text: str) -> bool:
    """What QboClient.find can look up: text without NUL that is valid Unicode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@fuzz_settings(300)
@given(name=nasty_text | any_text)
@example(name="Amy's Bird Sanctuary")
@example(name="Robertson & Associates")
@example(name="back\\slash at the end\\")
@example(name="\\'")
@example(name="\ud800")
@example(name="nul\x00")
@example(name="Kimberly O’Neil")
@example(name="Boot – Wolverine")
def test_a_name_parses_back_to_exactly_itself_or_is_refused_clearly(name):
    if not expressible(name):
        with pytest.raises(ValueError, match="QBO query"):
            select("Customer", {"DisplayName": name})
        return

    query = parsed(select("Customer", {"DisplayName": name}))

    [condition] = query.where
    assert (condition.path, condition.op, condition.value) == (("DisplayName",), "=", name)


@fuzz_settings(300)
@given(name=nasty_text | any_text)
@example(name="Kimberly O’Neil")
@example(name="’–")
@example(name="100% ’ Kush")
def test_a_name_qbo_cannot_lex_is_asked_for_with_like_and_still_matches(name):
    """find's statement always parses, and its condition matches the name it looks for."""
    if not findable(name):
        with pytest.raises(ValueError, match="QBO query"):
            _select("Customer", {"DisplayName": name}, widen=True)
        return

    [condition] = parsed(_select("Customer", {"DisplayName": name}, widen=True)).where

    if expressible(name):
        assert (condition.op, condition.value) == ("=", name)
    else:
        assert condition.op == "LIKE" and condition.value.match(name)


@fuzz_settings(150)
@given(names=st.lists(nasty_text, min_size=1, max_size=5), active=st.booleans(), other=nasty_text)
def test_in_lists_and_and_joined_conditions_keep_every_value(names, active, other):
    names = [n for n in names if expressible(n)] or ["x"]
    other = other if expressible(other) else "y"

    query = parsed(select("Item", {"Name": names, "Active": active, "Type": other}))

    assert [(c.path[0], c.op, c.value) for c in query.where] == [
        ("Name", "IN", names),
        ("Active", "=", active),
        ("Type", "=", other),
    ]


@fuzz_settings(100)
@given(
    value=st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
)
def test_numbers_and_dates_are_quoted_as_their_text(value):
    [condition] = parsed(select("Item", {"Id": value})).where

    expected = value.isoformat() if isinstance(value, date) else str(value)
    assert condition.value == expected


@pytest.mark.parametrize(
    "value",
    [None, [1], {"a": 1}, object(), Decimal("NaN"), Decimal("Infinity"), datetime(2026, 1, 1)],
    ids=repr,
)
def test_a_value_qbo_cannot_compare_with_is_a_value_error(value):
    with pytest.raises(ValueError, match="QBO query"):
        quote(value)


def test_an_empty_in_list_is_refused_instead_of_sent_as_in_empty_parentheses():
    with pytest.raises(ValueError, match=r"IN \(\)"):
        select("Item", {"Type": []})


@fuzz_settings(100)
@given(field=any_text, entity=any_text)
def test_field_and_entity_names_are_checked_not_quoted(field, entity):
    """Only names shaped like QBO's reach the statement; nothing else can inject syntax."""
    try:
        statement = select(entity, {field: "x"})
    except ValueError:
        return
    assert statement == f"SELECT * FROM {entity} WHERE {field} = 'x'"  # noqa: S608
    assert field.replace(".", "").isascii() and field.replace(".", "").isalnum()
    assert entity.isascii() and entity.isalpha()


@pytest.mark.parametrize(
    ("sample", "entity", "name"),
    [
        ("misc__ampersand.json", "Vendor", "Robertson & Associates"),
        ("get__display_name.json", "Customer", "Amy's Bird Sanctuary"),
    ],
)
def test_the_recorded_queries_are_what_the_builder_writes(sample, entity, name):
    import json

    uri = json.loads((SAMPLES / sample).read_text())[0]["request"]["uri"]
    recorded = parse_qs(urlsplit(uri).query)["query"][0]

    assert select(entity, {"DisplayName": name}) == recorded
    assert parsed(recorded).where[0].value == name


# --- a round trip through the live sandbox, over HTTP ----------------------------------------

# QBO refuses a colon, a tab or a line break in a name (2040): those never reach a query.
live_names = nasty_text.filter(
    lambda n: findable(n) and not NAME_REFUSED & set(n) and len(n.strip()) <= 60
)
_serial = itertools.count()


class _SandboxTokens:
    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox

    def access_token(self) -> str:
        return self.sandbox.token()

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return self.sandbox.token()


@pytest.fixture
def sandbox_client(qbo_sandbox):
    config = QboConfig(
        client_id=qbo_sandbox.client_id,
        client_secret=qbo_sandbox.client_secret,
        redirect_uri="http://127.0.0.1/cb",
        authorize_url=qbo_sandbox.url("/connect/oauth2"),
        token_url=qbo_sandbox.url("/oauth2/v1/tokens/bearer"),
        revoke_url=qbo_sandbox.url("/v2/oauth2/tokens/revoke"),
        api_base_url=qbo_sandbox.base_url,
        max_retries=0,
    )
    return QboClient(config, qbo_sandbox.realm_id, _SandboxTokens(qbo_sandbox))


def look_alikes(name: str) -> set[str]:
    """`name` with each character QBO cannot lex swapped for a dash, and for another one."""
    dashed = "".join("-" if ord(char) > 0xFF else char for char in name)
    swapped = "".join(("–" if char == "’" else "’") if ord(char) > 0xFF else char for char in name)
    return {dashed, swapped} - {name}


def create_then_find(client: QboClient, entity: str, name: str) -> bool:
    """Create `entity` named `name`, then find it by name; False when QBO refused the name.

    The name's look-alikes (each character QBO cannot lex swapped for another, or for an
    ASCII one) are made first: LIKE finds them too, and find must return only the one.
    """
    field = "DisplayName" if entity == "Customer" else "Name"
    payload = {field: name}
    if entity == "Item":
        [income] = client.query(select("Account", {"Name": "Sales of Product Income"}))
        payload.update(Type="Service", IncomeAccountRef={"value": income["Id"]})
    try:
        created = client.create(entity, payload, request_id=uuid.uuid4().hex)
    except QboError as error:
        # QBO refuses some names (too long once trimmed, …): refused clearly, not a parse error.
        assert error.code and error.code != faults.query_parser_error("").code
        return False
    for look_alike in look_alikes(name):
        client.create(entity, {**payload, field: look_alike}, request_id=uuid.uuid4().hex)

    found = client.find(entity, {field: created[field]})

    assert [row["Id"] for row in found] == [created["Id"]]
    assert created[field] == name.strip()  # QBO trims names, and keeps everything else
    return True


@fuzz_settings(15, long_run=300)
@given(name=live_names, entity=st.sampled_from(["Customer", "Item"]))
def test_a_weird_name_created_in_the_sandbox_is_found_by_the_query_builder(
    sandbox_client, entity, name
):
    create_then_find(sandbox_client, entity, f"{next(_serial)} {uuid.uuid4().hex[:6]} {name}")


@pytest.mark.parametrize("entity", ["Customer", "Item"])
@pytest.mark.parametrize(
    "name",
    [
        "Amy's Bird Sanctuary",
        "Robertson & Associates",
        "100% Pure \\ Kush",
        "O'Brien\\'s \"Kush\" 😀",
        "semi;colon, (parens) #1 ~*!?@",
        "''",
        "\\",
        "Ünïcødé — ñ 中文",
        "Kimberly O’Neil",
        'Boot – Wolverine – Legend 6" Safety Toe',
        "Włodarski",
        "Startposition ’ 1 MAXRESULTS 5",
    ],
)
def test_recorded_and_nasty_names_round_trip_through_the_sandbox(sandbox_client, entity, name):
    assert create_then_find(sandbox_client, entity, name)
