"""The contract generator reads an XSD the way QBO's JSON follows it, and writes it stably."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "qbo_schema_contract.py"
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://schema.intuit.com/finance/v3"'
BASE_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema {XS}>
  <xs:complexType name="IntuitEntity" abstract="true">
    <xs:sequence>
      <xs:element name="Id" type="id" minOccurs="0"/>
      <xs:element name="MetaData" type="ModificationMetaData" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="domain" type="xs:string"/>
    <xs:attribute name="sparse" type="xs:boolean"/>
  </xs:complexType>
  <xs:complexType name="ModificationMetaData">
    <xs:sequence><xs:element name="CreateTime" type="xs:dateTime"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="ReferenceType">
    <xs:simpleContent>
      <xs:extension base="id"><xs:attribute name="name" type="xs:string"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="IntuitAnyType">
    <xs:sequence><xs:any minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  </xs:complexType>
  <xs:simpleType name="id"><xs:restriction base="xs:string"/></xs:simpleType>
  <xs:simpleType name="quantity"><xs:restriction base="xs:decimal"/></xs:simpleType>
</xs:schema>
"""
FINANCE = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema {XS}>
  <xs:include schemaLocation="Base.xsd"/>
  <xs:complexType name="Transaction">
    <xs:complexContent><xs:extension base="IntuitEntity"><xs:sequence>
      <xs:element name="TxnDate" type="xs:date" minOccurs="0"/>
      <xs:element name="Line" type="Line" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Invoice">
    <xs:complexContent><xs:extension base="Transaction"><xs:sequence>
      <xs:element name="CustomerRef" type="ReferenceType"/>
      <xs:group ref="Linked" minOccurs="0"/>
      <xs:element name="InvoiceEx" type="IntuitAnyType" minOccurs="0"/>
    </xs:sequence></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Line">
    <xs:sequence>
      <xs:element name="Qty" type="quantity"/>
      <xs:element name="LineNum" type="xs:positiveInteger"/>
      <xs:element name="DetailType" type="LineDetailTypeEnum"/>
      <xs:choice maxOccurs="unbounded"><xs:element name="Note" type="xs:string"/></xs:choice>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Unreached"><xs:sequence/></xs:complexType>
  <xs:group name="Linked"><xs:sequence><xs:element name="TxnId" type="id"/></xs:sequence></xs:group>
  <xs:simpleType name="LineDetailTypeEnum">
    <xs:restriction base="xs:string">
      <xs:enumeration value="SalesItemLineDetail"/><xs:enumeration value="DescriptionOnly"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>
"""
SERVICE_DEF = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema {XS}>
  <xs:include schemaLocation="Finance.xsd"/>
  <xs:element name="IntuitObject" type="IntuitEntity" abstract="true"/>
  <xs:element name="Invoice" type="Invoice" substitutionGroup="IntuitObject"/>
  <xs:element name="Recurring" type="Recurring" substitutionGroup="IntuitObject"/>
  <xs:element name="IntuitResponse" type="Line"/>
  <xs:complexType name="Recurring">
    <xs:sequence><xs:element ref="IntuitObject"/></xs:sequence>
  </xs:complexType>
</xs:schema>
"""


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("qbo_schema_contract", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def xsd(tmp_path):
    for name, text in (("Base.xsd", BASE_TYPES), ("Finance.xsd", FINANCE),
                       ("IntuitRestServiceDef.xsd", SERVICE_DEF)):  # fmt: skip
        (tmp_path / name).write_text(text)
    return tmp_path


def test_properties_follow_extensions_attributes_groups_and_simple_content(generator, xsd):
    """Inherited elements and attributes, groups inlined, simple content as "value", kinds."""
    data = generator.contract(xsd)
    assert data["entities"] == {"Invoice": "Invoice", "Recurring": "Recurring"}
    assert data["types"]["Invoice"] == {
        "Id": "string", "MetaData": "object:ModificationMetaData", "domain": "string",
        "sparse": "boolean", "TxnDate": "date", "Line": "list:object:Line",
        "CustomerRef": "object:ReferenceType", "TxnId": "string",
        "InvoiceEx": "object:IntuitAnyType",
    }  # fmt: skip
    assert data["types"]["ReferenceType"] == {"value": "string", "name": "string"}
    assert data["types"]["Line"] == {
        "Qty": "number", "LineNum": "integer", "DetailType": "enum:LineDetailTypeEnum",
        "Note": "list:string",
    }  # fmt: skip
    assert data["types"]["IntuitAnyType"] == {"any": "list:any"}
    assert data["enums"] == {"LineDetailTypeEnum": ["DescriptionOnly", "SalesItemLineDetail"]}


def test_a_reference_to_an_abstract_element_stands_for_each_entity(generator, xsd):
    """<xs:element ref="IntuitObject"/> is any entity, keyed by its name ({"Invoice": {...}})."""
    recurring = generator.contract(xsd)["types"]["Recurring"]
    assert recurring == {"Invoice": "object:Invoice", "Recurring": "object:Recurring"}


def test_only_reached_types_are_written_and_a_second_run_changes_nothing(generator, xsd, capsys):
    """Types no entity reaches stay out; the file is sorted JSON, byte for byte the same again."""
    output = xsd / "out" / "contract.json"
    assert generator.main(["x", str(xsd), str(output)]) == 0
    first = output.read_text()
    assert generator.main(["x", str(xsd), str(output)]) == 0
    assert output.read_text() == first
    assert capsys.readouterr().out.splitlines()[-1].endswith("unchanged")
    data = json.loads(first)
    assert "Unreached" not in data["types"] and "IntuitResponse" not in data["entities"]
    assert list(data["types"]) == sorted(data["types"])


def test_a_folder_without_the_schema_says_what_to_pass(generator, tmp_path, capsys):
    """No IntuitRestServiceDef.xsd: exit 2, and the message says which folder to pass."""
    assert generator.main(["x", str(tmp_path), str(tmp_path / "c.json")]) == 2
    assert capsys.readouterr().out.startswith("Pass the folder that holds Intuit's XSD files")
    assert not (tmp_path / "c.json").exists()
