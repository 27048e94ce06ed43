"""Turn Intuit's QBO v3 XML schema into the compact contract the sandbox checks every write with.

    .venv/bin/python scripts/qbo_schema_contract.py [XSD_FOLDER] [OUTPUT]

XSD_FOLDER defaults to ../shared/intuit-schema (Intuit's XSD from the Java SDK, Apache-2.0);
OUTPUT defaults to integrations/sandbox/schema/contract.json. `make schema` runs it. The output
is sorted and written the same way every time, so running it twice changes nothing, and a diff
after a new XSD shows exactly what Intuit changed. The product never reads the XSD: only the
contract, which is committed.

QBO's JSON uses the schema's names: an object's keys are its type's elements (those of its base
types first, through xs:extension) plus its attributes; a type with simple content, such as
ReferenceType, is an object whose text is "value" ({"value": "1", "name": "Services"}).
Each property gets one JSON kind:

    string, number, integer, boolean, date, dateTime   a scalar
    any                                                 anything (xs:any, an untyped element)
    enum:<Name>                                         a string from enums[<Name>]
    object:<Type>                                       an object of types[<Type>]
    list:<kind>                                         a JSON array of that kind

Entities are the top-level elements of IntuitRestServiceDef.xsd in the IntuitObject
substitution group (Invoice, Customer, ...); only the types they reach are written.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET  # noqa: S405 - reads Intuit's published schema files only
from pathlib import Path

XS = "{http://www.w3.org/2001/XMLSchema}"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_XSD = ROOT.parent / "shared" / "intuit-schema"
DEFAULT_OUTPUT = ROOT / "integrations" / "sandbox" / "schema" / "contract.json"
ENTRY = "IntuitRestServiceDef.xsd"
SCALARS = {
    "xs:string": "string",
    "xs:anyURI": "string",
    "xs:decimal": "number",
    "xs:int": "integer",
    "xs:long": "integer",
    "xs:positiveInteger": "integer",
    "xs:boolean": "boolean",
    "xs:date": "date",
    "xs:dateTime": "dateTime",
}
SOURCE = {
    "schema": "Intuit QuickBooks Online v3 XML schema (XSD)",
    "repository": "intuit/QuickBooks-V3-Java-SDK",
    "path": "ipp-v3-java-data/src/main/xsd/",
    "commit": "79b5a3c125b2c1c4828f89142039789b61b47ea4",
    "licence": "Apache-2.0 (see LICENSE.txt beside this file)",
    "regenerate": "make schema XSD=<folder with Intuit's .xsd files>",
}


class Schema:
    """Every named type, simple type and group of a set of XSD files (xs:include followed)."""

    def __init__(self, folder: Path):
        self.complex: dict[str, ET.Element] = {}
        self.simple: dict[str, ET.Element] = {}
        self.groups: dict[str, ET.Element] = {}
        self.elements: dict[str, ET.Element] = {}
        self._read(folder, ENTRY, set())
        self.entities = self.members("IntuitObject")

    def members(self, head: str) -> dict[str, str]:
        """The elements that may stand for `head` (its substitution group), with their types."""
        return {
            name: node.get("type")
            for name, node in self.elements.items()
            if node.get("substitutionGroup") == head
        }

    def _read(self, folder: Path, name: str, seen: set[str]) -> None:
        if name in seen:
            return
        seen.add(name)
        root = ET.parse(folder / name).getroot()  # noqa: S314 - Intuit's schema, read locally
        for include in root.findall(f"{XS}include"):
            self._read(folder, include.get("schemaLocation"), seen)
        for node in root:
            target = {
                f"{XS}complexType": self.complex,
                f"{XS}simpleType": self.simple,
                f"{XS}group": self.groups,
                f"{XS}element": self.elements,
            }.get(node.tag)
            if target is not None:
                target[node.get("name")] = node

    def kind(self, type_name: str | None) -> str:
        """The JSON kind of a type reference."""
        if type_name is None:
            return "any"
        if type_name in SCALARS:
            return SCALARS[type_name]
        if type_name in self.complex:
            return f"object:{type_name}"
        restriction = self.simple[type_name].find(f"{XS}restriction")
        if restriction.find(f"{XS}enumeration") is not None:
            return f"enum:{type_name}"
        return self.kind(restriction.get("base"))

    def properties(self, type_name: str) -> dict[str, str]:
        """The JSON keys of a complex type and their kinds, inherited ones included."""
        node = self.complex[type_name]
        found: dict[str, str] = {}
        content = node.find(f"{XS}complexContent")
        simple = node.find(f"{XS}simpleContent")
        if content is not None:
            extension = content.find(f"{XS}extension")
            found |= self.properties(extension.get("base"))
            node = extension
        elif simple is not None:
            extension = simple.find(f"{XS}extension")
            found["value"] = self.kind(extension.get("base"))
            node = extension
        self._particles(node, found, repeated=False)
        for attribute in node.findall(f"{XS}attribute"):
            found[attribute.get("name")] = self.kind(attribute.get("type"))
        return found

    def _particles(self, node: ET.Element, found: dict[str, str], repeated: bool) -> None:
        for child in node:
            many = repeated or child.get("maxOccurs", "1") not in ("0", "1")
            if child.tag == f"{XS}element" and child.get("ref"):
                # A reference to an abstract element (IntuitObject) is any one of its
                # substitutes, keyed by its own name, as in {"Invoice": {...}}.
                head = self.elements[child.get("ref")]
                named = (
                    self.members(head.get("name"))
                    if head.get("abstract") == "true"
                    else {head.get("name"): head.get("type")}
                )
                for name, type_name in named.items():
                    kind = self.kind(type_name)
                    found[name] = f"list:{kind}" if many else kind
            elif child.tag == f"{XS}element":
                kind = self.kind(child.get("type"))
                found[child.get("name")] = f"list:{kind}" if many else kind
            elif child.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all"):
                self._particles(child, found, many)
            elif child.tag == f"{XS}group":
                self._particles(self.groups[child.get("ref")], found, many)
            elif child.tag == f"{XS}any":
                found.setdefault("any", "list:any" if many else "any")

    def enumeration(self, name: str) -> list[str]:
        """The values of an enumerated simple type, sorted."""
        values = self.simple[name].iter(f"{XS}enumeration")
        return sorted(value.get("value") for value in values)


def contract(folder: Path) -> dict:
    """The contract: every entity's type, the complex types they reach, and the enumerations."""
    schema = Schema(folder)
    types: dict[str, dict[str, str]] = {}
    enums: dict[str, list[str]] = {}
    pending = sorted(set(schema.entities.values()))
    while pending:
        name = pending.pop()
        if name in types:
            continue
        types[name] = schema.properties(name)
        for kind in types[name].values():
            target = kind.removeprefix("list:")
            if target.startswith("object:"):
                pending.append(target.removeprefix("object:"))
            elif target.startswith("enum:"):
                enum = target.removeprefix("enum:")
                enums[enum] = schema.enumeration(enum)
    return {
        "source": SOURCE,
        "entities": schema.entities,
        "types": types,
        "enums": enums,
    }


def render(data: dict) -> str:
    """Sorted JSON: one property per line and each enumeration on one line, for short diffs."""

    def obj(entries: list[str], indent: str) -> str:
        inner = ",\n".join(f"{indent}  {entry}" for entry in entries)
        return f"{{\n{inner}\n{indent}}}"

    def line(key: str, value: object) -> str:
        if isinstance(value, dict):
            kinds = [line(k, v) for k, v in sorted(value.items())]
            return f"{json.dumps(key)}: {obj(kinds, '    ')}"
        return f"{json.dumps(key)}: {json.dumps(value)}"

    sections = [
        f"{json.dumps(name)}: {obj([line(k, v) for k, v in sorted(body.items())], '  ')}"
        for name, body in data.items()
    ]
    return obj(sections, "") + "\n"


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_XSD
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    if not (folder / ENTRY).is_file():
        print(f"Pass the folder that holds Intuit's XSD files (make schema XSD=...): "
              f"{folder} has no {ENTRY}.")  # fmt: skip
        return 2
    text = render(contract(folder))
    output.parent.mkdir(parents=True, exist_ok=True)
    changed = not output.exists() or output.read_text() != text
    output.write_text(text)
    print(f"{output}: {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
