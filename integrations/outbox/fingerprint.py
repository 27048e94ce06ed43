"""What was last sent of a record, kept compact, and how QBO's copy differs from it, in words.

A fingerprint maps a path ("DueDate", "Line2.Qty") to a compact value, for the fields an
adapter owns (`QboSyncAdapter.fingerprint_fields`). The same function reads our body as sent
and QBO's copy of it, so a difference is a field someone changed in QuickBooks: QBO's own
bookkeeping (Balance, a SubTotal line, line Ids, a SyncToken moved by a payment) is no field
we own. See integrations/sandbox/README.md, "What QBO keeps of a pushed document".
"""

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from distru_qbo.words import counted

# The parts of a line the product sends: the line's own fields, then its detail's.
LINE_FIELDS = ("Description", "Amount", "LinkedTxn")
LINE_DETAIL_FIELDS = ("ItemRef", "AccountRef", "Qty", "UnitPrice", "ClassRef")
# QBO adds a SubTotal line to sales documents; it is its sum, not ours.
QBO_MADE_LINES = ("SubTotalLineDetail",)
# Longer texts (memos, descriptions) are kept as a digest: still compared, never shown.
SHOWN_TEXT_CHARS = 120
DIGEST = "sha256:"
QUOTED = ("PrivateNote", "Description")
# How many differences a flag names; the rest are counted.
DIFFERENCES_NAMED = 5

LABELS = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "DocNumber": "Number",
    "TxnDate": "Date",
    "DueDate": "Due date",
    "PrivateNote": "Memo",
    "ClassRef": "Class",
    "TotalAmt": "Amount",
    "PayType": "Payment type",
    "PaymentRefNum": "Reference",
    "DepositToAccountRef": "Deposit account",
    "CheckPayment.BankAccountRef": "Bank account",
    "Line#": "Number of lines",
    "ItemRef": "Item",
    "AccountRef": "Account",
    "Qty": "Quantity",
    "UnitPrice": "Unit price",
    "LinkedTxn": "Linked transaction",
    "TxnId": "",
    "TxnType": "type",
}


def fingerprint(body: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The owned `fields` of a QBO body (ours as sent, or QBO's copy), flat and compact."""
    body = body if isinstance(body, dict) else {}
    flat = {}
    for field in fields:
        if field == "Line":
            flat.update(_lines(body.get("Line")))
        elif field in body:
            flat.update(_flat(field, body[field]))
    return flat


def differences(sent: dict[str, Any], remote: dict, fields: tuple[str, ...]) -> list[str]:
    """Each field QBO's copy holds otherwise than we sent, as a sentence."""
    theirs = fingerprint(remote, fields)
    found = [
        _difference(path, ours, theirs.get(path))
        for path, ours in sent.items()
        if not _same(ours, theirs.get(path))
    ]
    if len(found) > DIFFERENCES_NAMED:
        more = len(found) - DIFFERENCES_NAMED
        found = [*found[:DIFFERENCES_NAMED], counted(more, "more difference")]
    return found


def _difference(path: str, ours: Any, theirs: Any) -> str:
    if _digest(ours) or _digest(theirs):
        return f"{_label(path)} differs (too long to show here)"
    return f"{_label(path)} is {_shown(path, theirs)} in QuickBooks, {_shown(path, ours)} here"


def _digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DIGEST)


def _lines(lines: object) -> dict[str, Any]:
    ours = [
        line
        for line in (lines if isinstance(lines, list) else [])
        if isinstance(line, dict) and line.get("DetailType") not in QBO_MADE_LINES
    ]
    flat = {"Line#": len(ours)}
    for number, line in enumerate(ours, start=1):
        kind = line.get("DetailType")
        detail = line.get(kind) if isinstance(kind, str) else None
        parts = [(key, line[key]) for key in LINE_FIELDS if key in line]
        if isinstance(detail, dict):
            parts += [(key, detail[key]) for key in LINE_DETAIL_FIELDS if key in detail]
        for key, value in parts:
            flat.update(_flat(f"Line{number}.{key}", value))
    return flat


def _flat(path: str, value: object) -> dict[str, Any]:
    """A value under `path`; a reference is kept whole, other objects and lists are opened."""
    if isinstance(value, dict) and "value" not in value:
        return {k: v for key, sub in value.items() for k, v in _flat(f"{path}.{key}", sub).items()}
    if isinstance(value, list):
        flat = {}
        for number, item in enumerate(value, start=1):
            flat.update(_flat(f"{path}{number}", item))
        return flat
    return {path: _compact(value)}


def _compact(value: object) -> Any:
    """A reference as [id, name]; a number as its plain decimal text; a long text as a digest."""
    if isinstance(value, dict):
        return [_text(value.get("value")), _text(value.get("name"))]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except (InvalidOperation, ValueError):
            return str(value)
    text = _text(value)
    if len(text) > SHOWN_TEXT_CHARS:
        return DIGEST + hashlib.sha256(text.encode()).hexdigest()[:32]
    return text


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, list) and isinstance(theirs, list):
        return ours[0] == theirs[0]  # a reference: the id, whatever the name now
    return ours == theirs


def _label(path: str) -> str:
    if path in LABELS:
        return LABELS[path]
    if not path.startswith("Line"):
        return path
    head, *rest = path.split(".")
    words = [LABELS.get(part.rstrip("0123456789"), part).lower() for part in rest]
    return " ".join(["Line", head[len("Line") :], *(word for word in words if word)])


def _shown(path: str, value: Any) -> str:
    if value is None or value == "" or value == ["", ""]:
        return "empty"
    if isinstance(value, list):
        return f"“{value[1]}”" if value[1] else f"id {value[0]}"
    if path.rsplit(".", 1)[-1] in QUOTED:
        return f"“{value}”"
    return str(value)
