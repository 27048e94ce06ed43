"""Typed QBO errors, and the parser that turns any error answer from QBO into one."""

from __future__ import annotations

import email.utils
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

# Tokens show up in fault details: Intuit's 401 says "Token expired: " and the first 50
# characters of the token (tests/data/qbo-samples/error__401.json, recorded by minimul/qbo_api).
# Readable errors end up in logs, on the status page and in the database, so every run of
# token characters (letters, digits and the punctuation of base64, base64url, JWTs and
# URL-encoding) is judged whole: a token split by dots, quoted or percent-encoded is one run.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_~+/=%.-]+")
_TRAILING_RUN = re.compile(_TOKEN_RUN.pattern + r"\Z")
_JWT = re.compile(r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{5}")  # base64url of '{"': a JWT header
_LONG_WORD = re.compile(r"[A-Za-z0-9_-]{40,}")
_RANDOM_LOOKING_CHARS = 20  # mixed case and digits this long is a key, not a word of QBO's
_KNOWN_FRAGMENT_CHARS = 12  # this much of a token we hold is too much to show
_KNOWN_SECRETS_KEPT = 16
_known_secrets: deque[str] = deque(maxlen=_KNOWN_SECRETS_KEPT)
_known_secrets_lock = threading.Lock()
_TAGS = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# A fault body is small; anything bigger is not worth parsing as one.
_MAX_PARSED_BYTES = 256 * 1024
_SNIPPET_CHARS = 200
_HTML_HEAD_CHARS = 8192  # where an error page's <title> is; scanning all of it is quadratic
# Errors end up in logs, on the status page and in the database: whatever QBO (or a proxy in
# front of it) sends, a message stays readable and a few hundred characters long.
MESSAGE_CHARS = 500
DETAIL_CHARS = 1000
_FIELD_CHARS = 100
CODE_CHARS = 20  # QBO's codes are a few digits; the outbox stores one in a 20-character column
_MAX_ERRORS = 20
# Intuit asks a throttled app to wait 60 s (developer.intuit.com, "API call limits and
# throttles"). A Retry-After far beyond that is not believed: it would park a push for years.
RETRY_AFTER_CAP_SECONDS = 3600.0
# What an error's text ends with, in brackets, for support: "(code 6140, HTTP 400, …)".
FACT_LABELS = ("code", "HTTP", "element", "intuit_tid")


def without_nul(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL text and jsonb cannot store."""
    return text.replace("\x00", "")


def secret_remember(value: str | None) -> None:
    """Redact this exact value (a token, the client secret) wherever it shows up from now on."""
    if isinstance(value, str) and len(value) >= _KNOWN_FRAGMENT_CHARS:
        with _known_secrets_lock:
            if value not in _known_secrets:
                _known_secrets.append(value)


def redact(text: str) -> str:
    """Replace every token, and every piece of a token this process holds, with a placeholder."""
    with _known_secrets_lock:
        known = tuple(_known_secrets)
    return _TOKEN_RUN.sub(lambda run: _redacted_run(run.group(), known), text)


def _redacted_run(run: str, known: tuple[str, ...]) -> str:
    if _is_secret(run, known):
        return "[redacted]"
    # A long plain word inside a path or a dotted name still counts on its own.
    return _LONG_WORD.sub("[redacted]", run)


def _is_secret(run: str, known: tuple[str, ...]) -> bool:
    if _JWT.search(run):
        return True
    core = run.strip(".=%-")
    letters_and_digits = [char for char in core if char.isalnum()]
    if len(letters_and_digits) >= _RANDOM_LOOKING_CHARS and (
        any(char.isupper() for char in letters_and_digits)
        and any(char.islower() for char in letters_and_digits)
        and any(char.isdigit() for char in letters_and_digits)
    ):
        return True
    if len(core) < _KNOWN_FRAGMENT_CHARS:
        return False
    forms = {core, unquote(core)}
    return any(form in secret or secret in form for form in forms for secret in known)


def _cut_whole(text: str, limit: int) -> str:
    """The first `limit` characters, less a token run the cut would split: a piece of a token
    can be too short to be recognised as one."""
    cut = text[:limit]
    if len(text) > limit and _TOKEN_RUN.match(text, limit):
        return _TRAILING_RUN.sub("", cut)
    return cut


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, saying so when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 14, 0)].rstrip() + " […truncated]"


class QboError(Exception):
    """An error answer from QBO (or no usable answer at all)."""

    retriable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        detail: str = "",
        element: str = "",
        fault_type: str = "",
        intuit_tid: str | None = None,
        errors: tuple[dict[str, str], ...] = (),
        retry_after: float | None = None,
    ) -> None:
        # Every text of an error is cleaned here: a NUL from QBO never reaches the database, and
        # whatever built the message, a token in it never reaches a log, a page or a column.
        message = _redacted(str(message), MESSAGE_CHARS)
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = _cleaned(code, CODE_CHARS)
        self.detail = _redacted(str(detail), DETAIL_CHARS)
        self.element = _cleaned(element, _FIELD_CHARS)
        self.fault_type = _cleaned(fault_type, _FIELD_CHARS)
        self.intuit_tid = _cleaned(intuit_tid, _FIELD_CHARS) if intuit_tid else intuit_tid
        # Every Error of the Fault; the attributes above describe the first one.
        self.errors = errors
        # Seconds from a Retry-After header, when QBO sent one (429, sometimes 503).
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = self.message
        if self.detail.startswith(self.message):
            text = self.detail  # QBO often repeats the message at the start of the detail
        elif self.detail:
            text = f"{text}: {self.detail}"
        values = (self.code, self.status, self.element, self.intuit_tid)
        labelled = zip(FACT_LABELS, values, strict=True)
        facts = [f"{label} {value}" for label, value in labelled if value]
        return f"{text} ({', '.join(facts)})" if facts else text


class QboValidationError(QboError):
    """QBO refused the request as invalid (HTTP 400 and other 4xx without a closer match)."""


class QboDuplicateNameError(QboValidationError):
    """Fault 6240: the name is already used (customers, vendors and employees share names)."""


class QboNotFoundError(QboValidationError):
    """Fault 610: the object does not exist or was made inactive."""


class QboInvalidReferenceError(QboValidationError):
    """Fault 2500: a reference points at an object that does not exist."""


class QboStaleObjectError(QboValidationError):
    """Fault 5010: the SyncToken is stale; re-read the object and retry once."""


class QboDepositedError(QboValidationError):
    """Fault 6540: a deposited transaction cannot be changed."""


class QboAuthenticationError(QboError):
    """HTTP 401 / fault 3200: the access token was refused."""


class QboAuthorizationError(QboError):
    """HTTP 403 / fault 3100: the token is valid but may not touch this company; or fault 120
    (HTTP 401): the user who connected is no longer an admin of the company."""


class QboThrottledError(QboError):
    """HTTP 429 / fault 3001: too many requests; `retry_after` is QBO's wait in seconds."""

    retriable = True


class QboServerError(QboError):
    """HTTP 5xx: QBO failed on its side."""

    retriable = True


class QboTransportError(QboError):
    """No answer: the connection failed, timed out or was dropped."""

    retriable = True


class QboResponseTooLargeError(QboError):
    """QBO's answer was bigger than the configured cap; the rest of it was never read."""


class QboMalformedResponseError(QboError):
    """A success status whose body is not the JSON that was expected.

    Retriable: a body cut off or swapped for a proxy's page says nothing about the request,
    and sending it again is safe (a read, or a write with its requestid, which QBO answers
    with the first result instead of doing it twice).
    """

    retriable = True


class QboCdcTruncatedError(QboError):
    """A CDC answer holding QBO's cap of objects: changes may be missing from it."""

    def __init__(self, counts: Mapping[str, int], *, answered_at: datetime | None = None) -> None:
        listed = ", ".join(f"{entity} {count}" for entity, count in counts.items() if count)
        super().__init__(
            f"QuickBooks sent {sum(counts.values())} changes ({listed}), the most it sends in "
            "one answer, so some may be missing"
        )
        self.counts = dict(counts)
        # QBO's `time` of the capped answer: whatever is read after it covers up to it.
        self.answered_at = answered_at


class OAuthError(QboError):
    """The token endpoint refused a request; `error` is the OAuth error code."""

    def __init__(
        self,
        message: str,
        *,
        error: str,
        description: str = "",
        retriable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, code=error, detail=description, **kwargs)
        self.error = error
        self.description = description
        self.retriable = retriable


class OAuthInvalidGrantError(OAuthError):
    """The refresh token or code was rejected: the user must reconnect."""


_BY_CODE: dict[str, type[QboError]] = {
    "6240": QboDuplicateNameError,
    "610": QboNotFoundError,
    "2500": QboInvalidReferenceError,
    "5010": QboStaleObjectError,
    "6540": QboDepositedError,
    "3200": QboAuthenticationError,
    "3100": QboAuthorizationError,
    # Sent with HTTP 401, so the status alone would call it an expired token (Intuit's
    # error-codes page and its blog "Top QuickBooks Online API errors", 2017).
    "120": QboAuthorizationError,
    # Intuit has sent 3001 with HTTP 403 as well as 429 (see the XML fixtures).
    "3001": QboThrottledError,
}


def error_class(status: int | None, code: str) -> type[QboError]:
    """The QboError subclass for a fault code, or failing that for the HTTP status."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status == 401:
        return QboAuthenticationError
    if status == 403:
        return QboAuthorizationError
    if status == 429:
        return QboThrottledError
    if status is not None and status >= 500:
        return QboServerError
    return QboValidationError


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A response header by name, ignoring case and `_` versus `-` (`intuit_tid`)."""
    wanted = name.lower().replace("_", "-")
    for key, value in (headers or {}).items():
        if key.lower().replace("_", "-") == wanted:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The `Retry-After` header as seconds, at most RETRY_AFTER_CAP_SECONDS.

    RFC 9110 §10.2.3 allows a number of seconds or an HTTP date; anything else (`inf`, `nan`,
    text) is ignored, as if the header were absent.
    """
    value = header(headers, "Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_CAP_SECONDS)


def _seconds_until(http_date: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(http_date).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None


def fault_error(
    fault: Mapping[str, Any],
    *,
    status: int | None,
    intuit_tid: str | None = None,
    retry_after: float | None = None,
) -> QboError:
    """The typed error for a parsed `Fault` object (either key case, as in batch items)."""
    raw_errors = _get(fault, "Error")
    if isinstance(raw_errors, Mapping):
        raw_errors = [raw_errors]
    if not isinstance(raw_errors, list):
        raw_errors = []  # null, a number, a string: no Error objects to read
    errors = tuple(
        {
            "code": _text(_get(item, "code"), CODE_CHARS),
            "message": _text(_get(item, "Message"), MESSAGE_CHARS),
            "detail": _text(_get(item, "Detail"), DETAIL_CHARS),
            "element": _text(_get(item, "element"), _FIELD_CHARS),
        }
        for item in raw_errors[:_MAX_ERRORS]
        if isinstance(item, Mapping)
    )
    first = errors[0] if errors else {"code": "", "message": "", "detail": "", "element": ""}
    answered = f"QuickBooks answered HTTP {status}" if status else "QuickBooks answered"
    return _build(
        status,
        first["message"] or f"{answered} with an empty Fault",
        code=first["code"],
        detail=first["detail"],
        element=first["element"],
        fault_type=_text(_get(fault, "type"), _FIELD_CHARS),
        intuit_tid=intuit_tid,
        errors=errors,
        retry_after=retry_after,
    )


def parse_fault(
    status: int,
    body: bytes | str | None,
    content_type: str | None,
    headers: Mapping[str, str] | None,
) -> QboError:
    """Turn any error answer (JSON, lowercase JSON, XML, HTML, empty, cut off) into a QboError."""
    tid = header(headers, "intuit_tid")
    retry_after = retry_after_seconds(headers)
    text = body_text(body)
    kind = (content_type or "").lower()

    # The body decides how it is read; the content type is often wrong on error pages.
    fault = None
    if text.startswith("{"):
        fault = _json_fault(text)
    elif text.startswith("<") and not _looks_like_html(text, ""):
        fault = _xml_fault(text)
    if fault is not None:
        return fault_error(fault, status=status, intuit_tid=tid, retry_after=retry_after)

    return _build(
        status,
        _describe_unparsed(status, text, kind),
        intuit_tid=tid,
        retry_after=retry_after,
    )


def body_text(body: bytes | str | None) -> str:
    """The start of a body as text, whatever its bytes (cut off, not UTF-8, with a BOM)."""
    if isinstance(body, bytes):
        body = body[:_MAX_PARSED_BYTES].decode("utf-8", errors="replace")
    return (body or "")[:_MAX_PARSED_BYTES].lstrip("\ufeff").strip()


def describe_body(status: int, body: bytes | str | None, content_type: str | None) -> str:
    """A short, readable account of a body that is not the JSON that was expected."""
    text = body_text(body)
    kind = (content_type or "").lower()
    if text.startswith("{") or text.startswith("["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return f"QuickBooks answered HTTP {status} with JSON that is cut off or broken"
    return _describe_unparsed(status, text, kind, expected="JSON")


def _build(status: int | None, message: str, **kwargs: Any) -> QboError:
    return error_class(status, kwargs.get("code", ""))(message, status=status, **kwargs)


def _get(mapping: Any, key: str) -> Any:
    """A key in QBO's capitalised form or the gateway's lowercase form."""
    if not isinstance(mapping, Mapping):
        return None
    if key in mapping:
        return mapping[key]
    return mapping.get(key[0].lower() + key[1:])


def _text(value: Any, limit: int) -> str:
    """A fault field as text: QBO sends strings, but numbers and nesting happen."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            text = type(value).__name__
    # Redact before cutting, so no cut leaves part of a token; bound the text the regex scans.
    return _redacted(text.strip(), limit)


def _redacted(text: str, limit: int) -> str:
    """`text` without NULs or tokens, at most `limit` characters (bounding what redact scans)."""
    return clip(redact(_cut_whole(without_nul(text), limit * 4).strip()), limit)


def _cleaned(value: object, limit: int) -> str:
    return clip(without_nul(str(value)), limit)


def _json_fault(text: str) -> Mapping[str, Any] | None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # cut off, broken, or nested beyond reason
        return None
    fault = _get(document, "Fault")
    if isinstance(fault, Mapping):
        return fault
    # An OAuth-style answer from Intuit's gateway: {"error": "invalid_token", ...}.
    error = _get(document, "error")
    if isinstance(error, str) and error.strip():
        description = _get(document, "error_description")
        return {"Error": [{"Message": error, "Detail": description or ""}], "type": "OAuth"}
    return None


def _looks_like_html(text: str, content_type: str) -> bool:
    head = text[:100].lower()
    return "html" in content_type or head.startswith(("<!doctype html", "<html"))


def _local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_fault(text: str) -> Mapping[str, Any] | None:
    # QBO's XML faults never carry a DTD; refusing one rules out entity tricks before parsing
    # (and expat >= 2.4 caps entity amplification anyway).
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - no DTD allowed, see above
    except (ElementTree.ParseError, ValueError, RecursionError):
        return None
    fault = next((el for el in root.iter() if _local_name(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for error in fault:
        if _local_name(error.tag) != "Error":
            continue
        fields = {_local_name(child.tag): "".join(child.itertext()) for child in error}
        errors.append(
            {
                "code": error.get("code", ""),
                "element": error.get("element", ""),
                "Message": fields.get("Message", ""),
                "Detail": fields.get("Detail", ""),
            }
        )
    return {"Error": errors, "type": fault.get("type", "")}


def _describe_unparsed(
    status: int, text: str, content_type: str, expected: str = "a readable Fault"
) -> str:
    if not text:
        return f"QuickBooks answered HTTP {status} with an empty body"
    if _looks_like_html(text, content_type):
        title = _TITLE.search(text[:_HTML_HEAD_CHARS])
        summary = clip(" ".join(_TAGS.sub(" ", title.group(1) if title else "").split()), 120)
        suffix = f": {summary}" if summary else ""
        return f"QuickBooks answered HTTP {status} with an HTML page{suffix}"
    snippet = clip(redact(" ".join(_cut_whole(text, _SNIPPET_CHARS * 20).split())), _SNIPPET_CHARS)
    snippet = "".join(char if char.isprintable() else "?" for char in snippet)  # binary noise
    return f"QuickBooks answered HTTP {status} with a body that is not {expected}: {snippet}"
