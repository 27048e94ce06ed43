"""Intuit's QBO v3 schema as the sandbox applies it: every property of every write, at any depth.

`schema/contract.json` is generated from Intuit's XSD (scripts/qbo_schema_contract.py). QBO reads
JSON with Jackson (its 2010 answer quotes Jackson's "Unrecognized field ... not marked as
ignorable"), so a write is refused where Jackson refuses it and read leniently where Jackson is
lenient: numbers and booleans are accepted for strings, numeric strings for numbers, "true" and
"false" for booleans, and null as absent. `conform` returns the payload as QBO would hold it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from integrations.sandbox import faults

CONTRACT_PATH = Path(__file__).with_name("schema") / "contract.json"
JAVA_PACKAGE = "com.intuit.schema.finance.v3"
JAVA_TYPES = {
    "string": "java.lang.String",
    "number": "java.math.BigDecimal",
    "integer": "java.lang.Integer",
    "boolean": "java.lang.Boolean",
    "date": "java.util.Date",
    "dateTime": "java.util.Date",
}
# Java's BigDecimal and Integer syntax: Python's Decimal() would also take "1_0", "NaN", "inf".
DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
INTEGER = re.compile(r"[+-]?\d+")
# Jackson cuts the list of known properties after about 1000 characters.
KNOWN_LIMIT = 1000


class SchemaViolation(Exception):
    """A value the schema does not allow; `path` is where, as in `Line[0].Amount`."""

    def __init__(self, path: str, detail: str):
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail

    def fault(self) -> faults.QboFault:
        """QBO's answer: ValidationFault 2010, with Jackson's account of the property."""
        return faults.invalid_property(self.detail)


@dataclass(frozen=True)
class Contract:
    """Entities (element name -> type), types (property -> kind) and enumerations."""

    entities: dict[str, str]
    types: dict[str, dict[str, str]]
    enums: dict[str, frozenset[str]]

    def properties(self, entity: str) -> frozenset[str]:
        """Every JSON key an entity may carry."""
        return frozenset(self.types[self.entities[entity]])

    def conform(self, entity: str, payload: object, *, strict: bool = False) -> dict:
        """The payload with each value in its JSON kind, or SchemaViolation at the first misfit.

        `strict` accepts only the canonical kinds (what QBO itself answers), for checking the
        sandbox's own objects; otherwise Jackson's coercions apply.
        """
        walker = _Walker(self, strict)
        return walker.value(f"object:{self.entities[entity]}", payload, [(entity, None)])


class _Walker:
    def __init__(self, contract: Contract, strict: bool):
        self.contract = contract
        self.strict = strict

    def value(self, kind: str, value: object, trail: list) -> object:
        if value is None and not self.strict:
            return None
        if kind == "any":
            return value
        if kind.startswith("list:"):
            if not isinstance(value, list):
                raise self.mismatch("java.util.ArrayList", value, trail)
            items = (self.value(kind[5:], item, [*trail, (None, i)]) for i, item in
                     enumerate(value))  # fmt: skip
            return [item for item in items if item is not None]
        if kind.startswith("object:"):
            return self.object(kind[7:], value, trail)
        if kind.startswith("enum:"):
            return self.enum(kind[5:], value, trail)
        return self.scalar(kind, value, trail)

    def object(self, type_name: str, value: object, trail: list) -> dict:
        if not isinstance(value, dict):
            raise self.mismatch(f"{JAVA_PACKAGE}.{type_name}", value, trail)
        known = self.contract.types[type_name]
        out = {}
        for key, item in value.items():
            if key not in known:
                raise SchemaViolation(_path([*trail, (type_name, key)]),
                                      _unrecognized(key, type_name, known))  # fmt: skip
            conformed = self.value(known[key], item, [*trail, (type_name, key)])
            if conformed is not None:
                out[key] = conformed
        return out

    def enum(self, name: str, value: object, trail: list) -> str:
        text = self.scalar("string", value, trail)
        allowed = self.contract.enums[name]
        if text not in allowed:
            raise SchemaViolation(
                _path(trail),
                f"Can not construct instance of {JAVA_PACKAGE}.{name} from String value "
                f"'{text}': value not one of declared Enum instance names: "
                f"[{', '.join(sorted(allowed))}]{_chain(trail)}",
            )
        return text

    def scalar(self, kind: str, value: object, trail: list) -> object:
        if _CANONICAL[kind](value):
            return value
        if not self.strict and kind != "string" and isinstance(value, str) and not value.strip():
            return None  # Jackson reads a blank String as null for anything but a String
        coerced = None if self.strict else _COERCE[kind](value)
        if coerced is not None:
            return coerced
        if not isinstance(value, str):
            raise self.mismatch(JAVA_TYPES[kind], value, trail)
        raise SchemaViolation(
            _path(trail),
            f"Can not construct instance of {JAVA_TYPES[kind]} from String value '{value}': "
            f"not a valid representation{_chain(trail)}",
        )

    def mismatch(self, java_type: str, value: object, trail: list) -> SchemaViolation:
        return SchemaViolation(
            _path(trail),
            f"Can not deserialize instance of {java_type} out of {_token(value)} token"
            f"{_chain(trail)}",
        )


def _is_number(value: object) -> bool:
    # json.loads takes NaN and Infinity; BigDecimal, like JSON itself, has neither.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_date(value: object) -> bool:
    # xs:date may carry a zone after the day ("2015-07-24-07:00"); QBO writes the bare day.
    return isinstance(value, str) and _parses(date.fromisoformat, value[:10])


def _is_date_time(value: object) -> bool:
    return isinstance(value, str) and _parses(datetime.fromisoformat, value)


def _parses(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


_CANONICAL = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": _is_date,
    "dateTime": _is_date_time,
}


def _to_string(value: object) -> str | None:
    # Jackson reads any scalar token as a String, as its text ("true", "12.5").
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _to_number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, str):
        return None
    text = value.strip()
    if not DECIMAL.fullmatch(text):
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _to_integer(value: object) -> int | None:
    # Jackson's ACCEPT_FLOAT_AS_INT, on by default, truncates 2.7 to 2.
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _to_boolean(value: object) -> bool | None:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


_COERCE = {
    "string": _to_string,
    "number": _to_number,
    "integer": _to_integer,
    "boolean": _to_boolean,
    "date": lambda v: None,
    "dateTime": lambda v: None,
}


def _token(value: object) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    return {dict: "START_OBJECT", list: "START_ARRAY", str: "VALUE_STRING"}.get(
        type(value), "VALUE_NULL"
    )


def _path(trail: list) -> str:
    """`Line[0].Amount` from [(entity, None), ("Invoice", "Line"), (None, 0), ...]."""
    text = ""
    for owner, step in trail[1:]:
        text += f"[{step}]" if owner is None else f".{step}"
    return text.lstrip(".") or trail[0][0]


def _chain(trail: list) -> str:
    """Jackson's reference chain, which names the property: Invoice["Line"]->...[0]->..."""
    links = [
        f"java.util.ArrayList[{step}]" if owner is None else f'{JAVA_PACKAGE}.{owner}["{step}"]'
        for owner, step in trail[1:]
    ]
    return f" (through reference chain: {'->'.join(links)})" if links else ""


def _unrecognized(name: str, type_name: str, known: dict[str, str]) -> str:
    listed = ""
    for key in sorted(known):
        if len(listed) > KNOWN_LIMIT:
            listed += " [truncated]"
            break
        listed += f'{", " if listed else ""}"{key}"'
    return (
        f'Unrecognized field "{name}" (class {JAVA_PACKAGE}.{type_name}), not marked as '
        f"ignorable ({len(known)} known properties: {listed}])"
    )


@cache
def load() -> Contract:
    """The committed contract, read once."""
    data = json.loads(CONTRACT_PATH.read_text())
    return Contract(
        entities=data["entities"],
        types=data["types"],
        enums={name: frozenset(values) for name, values in data["enums"].items()},
    )
