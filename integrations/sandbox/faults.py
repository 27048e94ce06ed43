"""QBO faults: the exception the backend raises and the bodies QBO answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
# Intuit's "Top QuickBooks Online API errors" (developer blog, 2017-06-08), row 6.
DELETED_DETAIL = "Object Not Found : Another user has deleted this transaction."


@dataclass
class QboFault(Exception):
    """A validation or service fault, rendered as QBO's `Fault` body with its HTTP status."""

    code: str
    message: str
    detail: str
    element: str | None = None
    status: int = 400
    fault_type: str = "ValidationFault"
    with_time: bool = field(default=True, compare=False)

    def __str__(self) -> str:
        return f"{self.code} {self.message}: {self.detail}"

    def fault(self) -> dict:
        """The `Fault` object, as inside a response or a batch item."""
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def duplicate_name(detail: str = "The name supplied already exists. : null") -> QboFault:
    """Fault 6240: the name is taken."""
    return QboFault("6240", "Duplicate Name Exists Error", detail)


def not_found(element: str = "", *, detail: str = INACTIVE_DETAIL) -> QboFault:
    """Fault 610: the object does not exist or was made inactive."""
    return QboFault("610", "Object Not Found", detail, element=element)


def linked_transactions(entity: str, doing: str) -> QboFault:
    """Fault 6000: a document that payments are applied to cannot be deleted or voided.

    Intuit documents the rule ("You must unlink any linked transactions associated with the
    invoice object before deleting it") but publishes no fault for it; see the README.
    """
    return business(
        f"You must unlink any linked transactions associated with the {entity} before {doing} it."
    )


def invalid_reference(entity: str, value: str, element: str) -> QboFault:
    """Fault 2500: a reference to an object that does not exist."""
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} element id {value} not found",
        element=element,
    )


def inactive_reference() -> QboFault:
    """Fault 2500 for a reference to an inactive object, as recorded in
    intuit/QuickBooks-V3-PHP-SDK#110 (element empty); QBO answers 610 for the same in places."""
    return QboFault(
        "2500",
        "Invalid Reference Id",
        INACTIVE_DETAIL.replace("Object Not Found", "Invalid Reference Id", 1),
        element="",
    )


def category_on_a_line() -> QboFault:
    """Fault 2500: a Category item on a transaction line (consolibyte/quickbooks-php#178)."""
    return QboFault(
        "2500",
        "Invalid Reference Id",
        "Invalid Reference Id : Categories cannot be used in transactions.",
        element="",
    )


def required(element: str) -> QboFault:
    """Fault 2020: a required field is missing."""
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def business(detail: str, element: str = "") -> QboFault:
    """Fault 6000: a business rule refused the request."""
    return QboFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def invalid_characters(element: str, value: str) -> QboFault:
    """Fault 2040: a name holds a character QBO refuses (a colon, a tab or a line break)."""
    return QboFault(
        "2040",
        "Invalid String. The String may contain unsupported or illegal chars",
        f"Element contains invalid characters. {value}",
        element=element,
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    """Fault 6140: another transaction already has this DocNumber."""
    return QboFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
        element="",
    )


def stale() -> QboFault:
    """Fault 5010: the SyncToken is not the current one."""
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on this at the same time. "
        "The other user finished before you did, so your work was not saved.",
        element="",
    )


def unsupported(path: str) -> QboFault:
    """The fault QBO answers for a path or operation it does not serve."""
    return QboFault(
        "500",
        "Unsupported Operation",
        f"Operation Could not find resource for relative : {path} is not supported.",
    )


def invalid_property(detail: str) -> QboFault:
    """Fault 2010: Jackson could not read a property (unknown, wrong kind, not in its enum)."""
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        # The recorded Detail keeps the line break that opens Jackson's "\n at [Source: ...]"
        # tail and drops the tail (tests/data/qbo-samples/error__400_json.json).
        f"Property Name:{detail}\n specified is unsupported or invalid",
    )


def query_parser_error(detail: str) -> QboFault:
    """Fault 4000: the query does not parse."""
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    """Fault 4001: the query parses but names something that does not exist."""
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def system_failure(detail: str = "An unexpected error occurred.") -> QboFault:
    """Fault 10000 (HTTP 500): QBO failed on its side."""
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        f"System Failure Error: {detail}",
        status=500,
        fault_type="SystemFault",
    )


def authentication_failed(detail: str) -> QboFault:
    """Fault 3200 (HTTP 401), from Intuit's gateway: the access token was refused."""
    return QboFault(
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        status=401,
        fault_type="AUTHENTICATION",
    )


def authorization_failed() -> QboFault:
    """Fault 3100 (HTTP 403), from Intuit's gateway: the token may not touch this company.

    Spelled "AuthorizationFailed", detail null, type SERVICE, as recorded in
    intuit/oauth-jsclient#2 and mcohen01/node-quickbooks#154.
    """
    return QboFault(
        "3100",
        "message=AuthorizationFailed; errorCode=003100; statusCode=403",
        "",
        status=403,
        fault_type="SERVICE",
    )


def authorization_failure() -> QboFault:
    """Fault 120 (HTTP 401): the user who connected is no longer an admin of the company.

    Wording from Intuit's "Fix common errors" page; HTTP 401 from Intuit's blog "Top QuickBooks
    Online API errors" (2017); fault type from Intuit's error-codes page.
    """
    return QboFault(
        "120",
        "Authorization Failure",
        "AuthorizationFailure: -11014-You do not have access to use QuickBooks Online Plus.",
        status=401,
        fault_type="AuthorizationFault",
    )


def subscription_ended() -> QboFault:
    """Fault 6190: the company's subscription ended, was cancelled or has a billing problem.

    Wording as recorded in intuit/QuickBooks-V3-PHP-SDK#211 (HTTP 400, Intuit's answer there).
    """
    return QboFault(
        "6190",
        "Invalid Company Status",
        "Subscription period has ended or cancelled or there was a billing problem : You can't "
        "add data to QuickBooks Online Plus because your trial or subscription period ended, "
        "you cancelled your subscription, or there was a billing problem. To update your "
        "subscription, click the gear icon and view your account information.",
        element="",
    )


def books_closed() -> QboFault:
    """Fault 6210: the document is dated in a period closed in QuickBooks (books closed).

    Code and message from Intuit's "Fix common errors" page; the detail as integrations quote
    it (AutoEntry, LeanLaw, Synder help pages).
    """
    return QboFault(
        "6210",
        "Account Period Closed",
        "The account period has closed and the account books cannot be updated through the "
        "QBO Services API. Please use the QBO website to make these changes.",
        element="",
    )


# Faults the control plane can inject by name (`fail-next` with `"fault": name`).
NAMED = {
    "inactive_reference": inactive_reference,
    "authorization_failure": authorization_failure,
    "subscription_ended": subscription_ended,
    "books_closed": books_closed,
}


def gateway_body(fault: QboFault, epoch_ms: int) -> dict:
    """The lowercase-key body Intuit's gateway answers 401 and 403 with."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": fault.message,
                    "detail": fault.detail or None,
                    "code": fault.code,
                    "element": None,
                }
            ],
            "type": fault.fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }


def throttle_xml(time: str) -> bytes:
    """The XML body of an HTTP 429, as QBO's throttle sends it."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time={quoteattr(time)} xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n'
        '    <Error code="3001">\n'
        f"      <Message>{escape('message=ThrottleExceeded; errorCode=003001; statusCode=429')}"
        "</Message>\n"
        "      <Detail>The request limit was reached.  Try again later</Detail>\n"
        "    </Error>\n"
        "  </Fault>\n"
        "</IntuitResponse>\n"
    ).encode()
