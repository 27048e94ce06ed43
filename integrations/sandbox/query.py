"""The subset of QBO's query language that real clients use: parse, then filter, sort and page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from integrations.sandbox import faults

MAX_RESULTS = 1000
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:\\.|[^'\\])*')
      | (?P<num>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)
_UNESCAPE = re.compile(r"\\(.)")
_COMPARISONS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


@dataclass
class Condition:
    """One `field op value` term of a WHERE clause."""

    path: tuple[str, ...]
    op: str
    value: object


@dataclass
class Query:
    """A parsed query."""

    entity: str
    count: bool = False
    fields: list[str] = field(default_factory=list)
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS

    def mentions(self, name: str) -> bool:
        """Whether the WHERE clause has a condition on this top-level field."""
        return any(c.path[0] == name for c in self.where)


class _Tokens:
    def __init__(self, text: str):
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise faults.query_parser_error(
                    f'Encountered " "{text[pos : pos + 10].strip()}"" at line 1, column {pos + 1}.'
                )
            kind = match.lastgroup
            self.items.append((kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def peek_word(self) -> str | None:
        token = self.peek()
        return token[1].upper() if token and token[0] == "word" else None

    def next(self, expected: str) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise faults.query_parser_error(
                f'Encountered "<EOF>" at line 1, column {len(self.text) + 1}.\n'
                f"Was expecting: {expected}"
            )
        self.index += 1
        return token

    def fail(self, token: tuple[str, str, int], expected: str) -> faults.QboFault:
        return faults.query_parser_error(
            f'Encountered " <{token[0].upper()}> "{token[1]} "" at line 1, column {token[2] + 1}.'
            f"\nWas expecting: {expected}"
        )

    def keyword(self, word: str) -> None:
        token = self.next(word)
        if token[0] != "word" or token[1].upper() != word:
            raise self.fail(token, word)

    def punct(self, char: str) -> None:
        token = self.next(f'"{char}"')
        if token[1] != char:
            raise self.fail(token, f'"{char}"')

    def integer(self) -> int:
        token = self.next("<INTEGER>")
        if token[0] != "num" or not token[1].isdigit():
            raise self.fail(token, "<INTEGER>")
        return int(token[1])


def parse(
    text: str,
    entities: dict[str, str],
    fields_of: Callable[[str], set[str]],
) -> Query:
    """Parse a query; `entities` maps lowercase to canonical names, `fields_of` gives fields."""
    tokens = _Tokens(text)
    tokens.keyword("SELECT")
    count, selected = _select_list(tokens)
    tokens.keyword("FROM")
    kind, name, _ = tokens.next("<ENTITY>")
    entity = entities.get(name.lower()) if kind == "word" else None
    if entity is None:
        raise faults.query_validation_error(f"invalid context declaration: {name}")
    query = Query(entity=entity, count=count)
    known = fields_of(entity)
    query.fields = [_field_path(f, entity, known)[1] for f in selected]
    while (token := tokens.peek()) is not None:
        word = tokens.peek_word()
        tokens.index += 1
        if word == "WHERE" and not query.where:
            query.where = _conditions(tokens, entity, known)
        elif word in {"ORDERBY", "ORDER"}:
            if word == "ORDER":
                tokens.keyword("BY")
            query.order = _order(tokens, entity, known)
        elif word == "STARTPOSITION":
            query.start = max(1, tokens.integer())
        elif word == "MAXRESULTS":
            query.max_results = min(MAX_RESULTS, tokens.integer())
        else:
            raise tokens.fail(token, '"WHERE", "ORDERBY", "STARTPOSITION", "MAXRESULTS", <EOF>')
    return query


def _select_list(tokens: _Tokens) -> tuple[bool, list[str]]:
    token = tokens.next('"*", "COUNT"')
    if token[1] == "*":
        return False, []
    if token[0] == "word" and token[1].upper() == "COUNT":
        tokens.punct("(")
        tokens.punct("*")
        tokens.punct(")")
        return True, []
    if token[0] != "word":
        raise tokens.fail(token, '"*", "COUNT", <IDENTIFIER>')
    names = [token[1]]
    while (nxt := tokens.peek()) and nxt[1] == ",":
        tokens.index += 1
        token = tokens.next("<IDENTIFIER>")
        if token[0] != "word":
            raise tokens.fail(token, "<IDENTIFIER>")
        names.append(token[1])
    return False, names


def _field_path(name: str, entity: str, known: set[str]) -> tuple[tuple[str, ...], str]:
    parts = name.split(".")
    lookup = {k.lower(): k for k in known}
    head = lookup.get(parts[0].lower())
    if parts[0].lower() == "metadata":
        head = "MetaData"
    if head is None:
        raise faults.query_validation_error(f"property '{name}' is not queryable on {entity}")
    return (head, *parts[1:]), head


def _conditions(tokens: _Tokens, entity: str, known: set[str]) -> list[Condition]:
    conditions = []
    while True:
        token = tokens.next("<IDENTIFIER>")
        if token[0] != "word":
            raise tokens.fail(token, "<IDENTIFIER>")
        path, _ = _field_path(token[1], entity, known)
        op_token = tokens.next('"=", "<", ">", "<=", ">=", "IN", "LIKE"')
        op = op_token[1].upper()
        if op == "IN":
            tokens.punct("(")
            values = [_literal(tokens)]
            while (nxt := tokens.next('",", ")"'))[1] == ",":
                values.append(_literal(tokens))
            if nxt[1] != ")":
                raise tokens.fail(nxt, '",", ")"')
            conditions.append(Condition(path, "IN", values))
        elif op == "LIKE":
            value = _literal(tokens)
            pattern = ".*".join(re.escape(part) for part in str(value).split("%"))
            conditions.append(Condition(path, "LIKE", re.compile(f"^{pattern}$", re.I | re.S)))
        elif op in _COMPARISONS:
            conditions.append(Condition(path, op, _literal(tokens)))
        else:
            raise tokens.fail(op_token, '"=", "<", ">", "<=", ">=", "IN", "LIKE"')
        if tokens.peek_word() != "AND":
            return conditions
        tokens.index += 1


def _literal(tokens: _Tokens) -> object:
    kind, text, pos = tokens.next("<STRING>")
    if kind == "str":
        return _UNESCAPE.sub(r"\1", text[1:-1])
    if kind == "num":
        return float(text)
    if kind == "word" and text.lower() in {"true", "false"}:
        return text.lower() == "true"
    raise tokens.fail((kind, text, pos), "<STRING>")


def _order(tokens: _Tokens, entity: str, known: set[str]) -> list[tuple[tuple[str, ...], bool]]:
    order = []
    while True:
        token = tokens.next("<IDENTIFIER>")
        if token[0] != "word":
            raise tokens.fail(token, "<IDENTIFIER>")
        path, _ = _field_path(token[1], entity, known)
        descending = False
        if tokens.peek_word() in {"ASC", "DESC"}:
            descending = tokens.next("DESC")[1].upper() == "DESC"
        order.append((path, descending))
        if not ((nxt := tokens.peek()) and nxt[1] == ","):
            return order
        tokens.index += 1


def value_at(obj: dict, path: tuple[str, ...]) -> object:
    """The value a query sees at `path`: a reference compares by its `value`."""
    value: object = obj
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _coerce(actual: object, literal: object) -> tuple[object, object] | None:
    """Bring a stored value and a literal to comparable forms, or None if they never match."""
    if actual is None:
        return None
    if isinstance(actual, bool):
        if isinstance(literal, str):
            literal = literal.lower() == "true"
        return actual, literal
    if isinstance(actual, int | float):
        try:
            return float(actual), float(literal)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    actual_text = str(actual)
    literal_text = str(literal).lower()
    if _looks_like_datetime(actual_text) and _looks_like_datetime(literal_text):
        when, than = _parse_when(actual_text), _parse_when(literal_text, like=actual_text)
        if when is not None and than is not None:
            return when, than
    if isinstance(literal, float) and literal.is_integer():
        literal_text = str(int(literal))
    return actual_text.lower(), literal_text


def _looks_like_datetime(text: str) -> bool:
    return len(text) >= 19 and text[4] == "-" and text[10] in "Tt"


def _parse_when(text: str, like: str | None = None) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None and like is not None:
        reference = _parse_when(like)
        when = when.replace(tzinfo=reference.tzinfo if reference else None)
    return when


def _matches(obj: dict, condition: Condition) -> bool:
    actual = value_at(obj, condition.path)
    if condition.op == "LIKE":
        return actual is not None and bool(condition.value.match(str(actual)))  # type: ignore[union-attr]
    if condition.op == "IN":
        return any(_matches(obj, Condition(condition.path, "=", v)) for v in condition.value)  # type: ignore[union-attr]
    pair = _coerce(actual, condition.value)
    if pair is None:
        return False
    try:
        return _COMPARISONS[condition.op](*pair)
    except TypeError:
        return False


def _sort_key(path: tuple[str, ...]) -> Callable[[dict], tuple]:
    def key(obj: dict) -> tuple:
        value = value_at(obj, path)
        if isinstance(value, str):
            numeric = value.isdigit()
            return (1, 0 if numeric else 1, int(value) if numeric else 0, value.lower())
        if value is None:
            return (0, 0, 0, "")
        return (1, 0, value, "")

    return key


def run(query: Query, rows: Iterable[dict], default_order: tuple[str, ...]) -> list[dict] | int:
    """Filter, sort and page `rows`; a COUNT query returns the number of matches."""
    matched = [r for r in rows if all(_matches(r, c) for c in query.where)]
    if query.count:
        return len(matched)
    for path, descending in reversed(query.order or [(default_order, False)]):
        matched.sort(key=_sort_key(path), reverse=descending)
    page = matched[query.start - 1 : query.start - 1 + query.max_results]
    if query.fields:
        keep = {*query.fields, "Id", "SyncToken", "MetaData", "domain"}
        page = [{**{k: v for k, v in r.items() if k in keep}, "sparse": True} for r in page]
    return page
