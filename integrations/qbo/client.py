"""The QBO Accounting API client: one method per endpoint, JSON dicts in and out."""

from __future__ import annotations

import json
import logging
import random
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from hashlib import sha256
from typing import Any, Protocol
from urllib import parse

import requests
from requests_oauthlib import OAuth2Session

from .config import QboConfig
from .errors import (
    QboCdcTruncatedError,
    QboError,
    QboMalformedResponseError,
    QboResponseTooLargeError,
    QboTransportError,
    clip,
    describe_body,
    fault_error,
    header,
    parse_fault,
    secret_remember,
)
from .oauth import new_session
from .ratelimit import NullRateLimiter, RateLimiter
from .transport import Deadline, ResponseTooLarge

logger = logging.getLogger("integrations.qbo")

MAX_PAGE_SIZE = 1000
# One CDC answer holds at most this many objects, every entity asked for together (Intuit's
# "Change data capture operation" guide); an answer that reaches it may have left some out.
CDC_MAX_OBJECTS = 1000
# Intuit's "API call limits and throttles": at most 30 operations in a batch, and 40 batch
# requests a minute per company and app (single requests: 500 a minute, the limiter's default).
MAX_BATCH_SIZE = 30
MAX_BATCH_REQUESTS_PER_MINUTE = 40
MAX_REQUEST_ID_LENGTH = 50
# A batch's requestid, and each bId beside it (Intuit's blog "Request ID update for QuickBooks
# Online integration", 2015: QBO keys each item by both, in the 50 characters above).
MAX_BATCH_REQUEST_ID_LENGTH = 36
MAX_BATCH_ID_LENGTH = 10
# QBO voids these by a sparse update with include=void, and refuses operation=void for them
# (Intuit's .NET and PHP SDKs' Void, python-quickbooks' VoidMixin); Invoice takes operation=void.
VOIDED_BY_SPARSE_UPDATE = frozenset({"Payment", "BillPayment", "SalesReceipt"})
_ENTITY = re.compile(r"[A-Z][A-Za-z]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*")
_PAGING = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)
# QBO's query lexer reads Latin-1 only: a character above U+00FF (’, –, ł, 中…) anywhere in a
# query is fault 4000 "Lexical error" (integrations/sandbox/README.md, "Queries, CDC and
# discovery"). Such text is never sent; QboClient.find asks with LIKE instead.
_UNLEXABLE = re.compile(r"[^\x00-\xff]+")
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass(frozen=True)
class CdcAnswer:
    """A CDC answer: the changed objects by entity, and when QBO answered (its `time`).

    `answered_at` is QBO's own clock when it answered (the recorded answer in
    tests/data/qbo-samples/cdc__basic.json carries one), so a caller can ask for what changed
    since then without trusting its own clock; None when the answer has no readable one.
    """

    changes: dict[str, list[dict]]
    answered_at: datetime | None


class TokenProvider(Protocol):
    """Where the client gets access tokens; the Django layer refreshes under a row lock."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        """A fresh access token after QBO refused `rejected_token` with a 401."""
        ...


def quote(value: str | bool | int | Decimal | date | datetime) -> str:
    """A literal for a query's WHERE clause, with quotes and backslashes escaped.

    A value QBO's query language cannot carry raises ValueError instead of a broken query.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("QBO query datetimes must be timezone-aware")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"A QBO query cannot compare with {value}")
    if not isinstance(value, str | int | Decimal | date):
        # None or a container would turn into the text 'None' or "['a']": a query for nothing.
        raise ValueError(f"A QBO query cannot compare with a {type(value).__name__}")
    text = _checked_text(value.isoformat() if isinstance(value, date) else str(value))
    if unlexable := _UNLEXABLE.search(text):
        char = unlexable.group()[0]
        raise ValueError(
            f"A QBO query value cannot hold {char} (U+{ord(char):04X}): QuickBooks' query "
            "language reads Latin-1 characters only; look the record up with QboClient.find"
        )
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _checked_text(text: str) -> str:
    """`text`, unless no query can carry it however it is written."""
    if "\x00" in text:
        raise ValueError("A QBO query value cannot contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"A QBO query value must be valid Unicode text: {clip(ascii(text), 80)}"
        ) from None
    return text


def select(entity: str, where: Mapping[str, Any] | None = None, *, count: bool = False) -> str:
    """A SELECT statement; `where` is ANDed equality, or IN for a list (QBO has no OR)."""
    return _select(entity, where, count=count)


def _select(
    entity: str, where: Mapping[str, Any] | None, *, count: bool = False, widen: bool = False
) -> str:
    """`select`; with `widen`, text QBO cannot lex is matched by LIKE (see QboClient.find)."""
    conditions = []
    for field, value in (where or {}).items():
        if not _FIELD.fullmatch(field):
            raise ValueError(f"Not a QBO field name: {field!r}")
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError(f"{field} IN () matches nothing, and QBO cannot parse it")
            conditions.append(f"{field} IN ({', '.join(quote(v) for v in value)})")
        elif widen and _widened(value):
            conditions.append(f"{field} LIKE {quote(_UNLEXABLE.sub('%', _checked_text(value)))}")
        else:
            conditions.append(f"{field} = {quote(value)}")
    columns = "COUNT(*)" if count else "*"
    # Every piece is checked: entity and field names by pattern, values through quote().
    statement = f"SELECT {columns} FROM {_checked_entity(entity)}"  # noqa: S608
    return f"{statement} WHERE {' AND '.join(conditions)}" if conditions else statement


class QboClient:
    """Talks to one QBO company (realm). Not thread-safe: use one client per thread."""

    def __init__(
        self,
        config: QboConfig,
        realm_id: str,
        token_provider: TokenProvider,
        *,
        limiter: RateLimiter | None = None,
        session: OAuth2Session | None = None,
    ) -> None:
        self.config = config
        self.realm_id = realm_id
        self._tokens = token_provider
        self._limiter = limiter or NullRateLimiter()
        self._session = session or new_session(config)
        self._base_url = (
            f"{config.api_base_url.rstrip('/')}/v3/company/{parse.quote(realm_id, safe='')}"
        )
        # QBO's id of its last successful answer, for the push history (errors carry their own).
        self.last_intuit_tid: str | None = None

    # --- entities -------------------------------------------------------------------------

    def read(self, entity: str, entity_id: str) -> dict:
        """One object by Id (a billed read)."""
        path = f"{_segment(entity)}/{parse.quote(str(entity_id), safe='')}"
        return _unwrap(self._call("GET", path), entity, f"GET {path}")

    def create(self, entity: str, payload: Mapping[str, Any], *, request_id: str) -> dict:
        """Create an object; `request_id` makes a repeat return the first result."""
        path = _segment(entity)
        document = self._call("POST", path, body=dict(payload), request_id=request_id)
        return _unwrap(document, entity, f"POST {path}")

    def update(
        self, entity: str, payload: Mapping[str, Any], *, request_id: str, sparse: bool = True
    ) -> dict:
        """Update an object; a sparse update only touches the fields in `payload`."""
        if not payload.get("Id") or payload.get("SyncToken") is None:
            raise ValueError(f"An update of {entity} needs its Id and SyncToken")
        body = {**payload, "sparse": True} if sparse else dict(payload)
        path = _segment(entity)
        document = self._call("POST", path, body=body, request_id=request_id)
        return _unwrap(document, entity, f"POST {path}")

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> dict:
        """Delete a transaction; the answer carries `"status": "Deleted"`."""
        return self._operation("delete", entity, entity_id, sync_token, request_id)

    def void(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> dict:
        """Void a transaction: it stays in QBO with zero amounts, in the form QBO takes for it."""
        if entity not in VOIDED_BY_SPARSE_UPDATE:
            return self._operation("void", entity, entity_id, sync_token, request_id)
        path = _segment(entity)
        document = self._call(
            "POST",
            path,
            params={"operation": "update", "include": "void"},
            body={"Id": str(entity_id), "SyncToken": str(sync_token), "sparse": True},
            request_id=request_id,
        )
        return _unwrap(document, entity, f"POST {path}?include=void")

    def company_info(self) -> dict:
        """The company's CompanyInfo object (name, country, …)."""
        path = f"companyinfo/{parse.quote(self.realm_id, safe='')}"
        return _unwrap(self._call("GET", path), "CompanyInfo", f"GET {path}")

    def preferences(self) -> dict:
        """The company's Preferences (class tracking and the like)."""
        return _unwrap(self._call("GET", "preferences"), "Preferences", "GET preferences")

    # --- queries --------------------------------------------------------------------------

    def query(self, statement: str) -> list[dict]:
        """The rows of one query page."""
        response = self._query_response(statement)
        lists = [value for value in response.values() if isinstance(value, list)]
        if len(lists) > 1:
            raise QboMalformedResponseError(
                f"Expected one list of rows in QueryResponse, got keys {_keys(response)}"
            )
        rows = lists[0] if lists else []
        if not all(isinstance(row, dict) for row in rows):
            raise QboMalformedResponseError("Expected only objects in the rows of QueryResponse")
        return rows

    def query_pages(
        self, select_statement: str, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[dict]]:
        """Every page of a SELECT; a page shorter than `page_size` is the last one."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if _PAGING.search(select_statement):
            raise ValueError("query_pages adds STARTPOSITION and MAXRESULTS itself")
        return self._pages(select_statement, page_size)

    def find(self, entity: str, where: Mapping[str, Any]) -> list[dict]:
        """Every row whose fields equal `where` (a list: any of its values), on every page.

        Text QBO's query lexer refuses (a character above U+00FF, such as ’ or –) is asked
        for with LIKE, a % standing for each run of such characters, and the rows are then
        matched exactly here, ignoring case as QBO's = does. Values of a list must be
        writable in a query.
        """
        statement = _select(entity, where, widen=True)
        rows = [row for page in self._pages(statement, MAX_PAGE_SIZE) for row in page]
        widened = {field: value for field, value in where.items() if _widened(value)}
        return [
            row
            for row in rows
            if all(_same_text(_field_value(row, f), value) for f, value in widened.items())
        ]

    def _pages(self, select_statement: str, page_size: int) -> Iterator[list[dict]]:
        start = 1
        while True:
            rows = self.query(f"{select_statement} STARTPOSITION {start} MAXRESULTS {page_size}")
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            start += page_size

    def count(self, statement: str) -> int:
        """The totalCount of a `SELECT COUNT(*) FROM …` statement."""
        total = self._query_response(statement).get("totalCount")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise QboMalformedResponseError("Expected an integer totalCount in QueryResponse")
        return total

    def cdc(self, entities: list[str], changed_since: datetime) -> CdcAnswer:
        """Objects of `entities` changed since a moment (at most 30 days back), by entity.

        An answer holding CDC_MAX_OBJECTS objects, all entities together, raises
        QboCdcTruncatedError: QBO may have left changes out, and the caller must not take
        the answer for all that changed.
        """
        if changed_since.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware")
        names = {_segment(entity): entity for entity in entities}
        params = {
            "entities": ",".join(entities),
            "changedSince": changed_since.isoformat(timespec="seconds"),
        }
        document = self._call("GET", "cdc", params=params)
        blocks = document.get("CDCResponse")
        if not isinstance(blocks, list):
            raise QboMalformedResponseError("Expected a CDCResponse list in the CDC answer")
        changes: dict[str, list[dict]] = {entity: [] for entity in entities}
        for block in blocks:
            responses = block.get("QueryResponse") if isinstance(block, dict) else None
            if not isinstance(responses, list):
                raise QboMalformedResponseError("Expected QueryResponse lists in CDCResponse")
            for response in responses:
                for key, rows in response.items() if isinstance(response, dict) else ():
                    if not isinstance(rows, list):
                        continue  # startPosition, maxResults and the like
                    if not all(isinstance(row, dict) for row in rows):
                        raise QboMalformedResponseError(
                            f"Expected only objects in the CDC rows of {clip(key, 40)!r}"
                        )
                    changes.setdefault(names.get(key.lower(), key), []).extend(rows)
        answered_at = qbo_time(document.get("time"))
        if sum(len(rows) for rows in changes.values()) >= CDC_MAX_OBJECTS:
            raise QboCdcTruncatedError(
                {entity: len(rows) for entity, rows in changes.items()}, answered_at=answered_at
            )
        return CdcAnswer(changes=changes, answered_at=answered_at)

    def batch_wait(self, *, take: bool = False) -> float:
        """Seconds until this company may send one more batch request (0: now); with `take`,
        a 0 takes that room for the next `batch(..., room_taken=True)`."""
        return self._limiter.batch_wait(self.realm_id, take=take)

    def batch(
        self,
        operations: list[Mapping[str, Any]],
        *,
        request_id: str | None = None,
        room_taken: bool = False,
    ) -> list[dict | QboError]:
        """Run operations in batches of 30; each result is the object or its QboError.

        `room_taken`: `batch_wait(take=True)` counted the first attempt (of one chunk) already.
        """
        bids = [str(op.get("bId") or index) for index, op in enumerate(operations)]
        if len(set(bids)) != len(bids):
            raise ValueError("Batch operations need distinct bId values")
        # Retries of a batch must not repeat its creates, so every chunk has a stable id.
        base_id = request_id or uuid.uuid4().hex
        chunks = range(0, len(operations), MAX_BATCH_SIZE)
        results: list[dict | QboError] = []
        for number, start in enumerate(chunks):
            items = [
                {**op, "bId": bid}
                for op, bid in zip(
                    operations[start : start + MAX_BATCH_SIZE],
                    bids[start : start + MAX_BATCH_SIZE],
                    strict=True,
                )
            ]
            chunk_id = base_id if len(chunks) == 1 else _derived_request_id(base_id, number)
            longest = max(len(item["bId"]) for item in items)
            # QBO refuses each item of a longer pair with a 6000 (Java SDK issue #180).
            if len(chunk_id) > MAX_BATCH_REQUEST_ID_LENGTH or longest > MAX_BATCH_ID_LENGTH:
                raise ValueError(
                    f"A batch's requestid may have {MAX_BATCH_REQUEST_ID_LENGTH} characters and "
                    f"each bId {MAX_BATCH_ID_LENGTH}: got {len(chunk_id)} and {longest}"
                )
            document, tid = self._request(
                "POST",
                "batch",
                body={"BatchItemRequest": items},
                request_id=chunk_id,
                counted=room_taken and number == 0,
            )
            answers = document.get("BatchItemResponse")
            if not isinstance(answers, list):
                raise QboMalformedResponseError("Expected a BatchItemResponse list")
            # A bId comes back as we sent it, a string; anything else matches no operation.
            by_bid = {a["bId"]: a for a in answers if isinstance(a, dict) and _is_str(a.get("bId"))}
            missing = [item["bId"] for item in items if item["bId"] not in by_bid]
            if missing:
                raise QboMalformedResponseError(f"The batch answer has no item for bId {missing}")
            results.extend(_batch_result(by_bid[item["bId"]], tid) for item in items)
        return results

    # --- transport ------------------------------------------------------------------------

    def _operation(
        self, operation: str, entity: str, entity_id: str, sync_token: str, request_id: str
    ) -> dict:
        path = _segment(entity)
        document = self._call(
            "POST",
            path,
            params={"operation": operation},
            body={"Id": str(entity_id), "SyncToken": str(sync_token)},
            request_id=request_id,
        )
        return _unwrap(document, entity, f"POST {path}?operation={operation}")

    def _query_response(self, statement: str) -> dict:
        if len(statement) > self.config.query_get_max_chars:
            document = self._call("POST", "query", raw_body=statement)
        else:
            document = self._call("GET", "query", params={"query": statement})
        response = document.get("QueryResponse")
        if not isinstance(response, dict):
            raise QboMalformedResponseError("Expected a QueryResponse object in the query answer")
        return response

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        return self._request(method, path, **kwargs)[0]

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        raw_body: str | None = None,
        request_id: str | None = None,
        counted: bool = False,
    ) -> tuple[dict, str | None]:
        """Send with retries and one token refresh; the JSON answer and its intuit_tid.

        A batch request takes room in the limiter's batch window on every attempt, but the
        first when it is already `counted`."""
        query = {"minorversion": self.config.minor_version, **(params or {})}
        if request_id is not None:
            query["requestid"] = _checked_request_id(request_id)
        url = f"{self._base_url}/{path}?{parse.urlencode(query, quote_via=parse.quote)}"
        if raw_body is not None:
            data, content_type = raw_body.encode(), "application/text"
        else:
            data = json.dumps(body, default=_json_number).encode() if body is not None else None
            content_type = "application/json"

        deadline = Deadline.for_call(self.config)
        token = self._tokens.access_token()
        secret_remember(token)
        refreshed = False
        retries = 0
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                batch = path == "batch" and not (counted and attempt == 1)
                response = self._send(method, url, data, content_type, token, deadline, batch=batch)
            except ResponseTooLarge as exc:
                raise QboResponseTooLargeError(
                    "Ask whoever runs Distru to raise QBO_MAX_RESPONSE_BYTES (now "
                    f"{self.config.max_response_bytes} bytes): QuickBooks' answer to {method} "
                    f"{path} was larger ({exc}), so it was not read."
                ) from None
            except _TRANSPORT_ERRORS as exc:
                failure: QboError = QboTransportError(
                    f"No answer from QuickBooks for {method} {path}: {type(exc).__name__}: {exc}"
                )
                self._log(method, path, None, started, None, attempt, failure)
            else:
                tid = header(response.headers, "intuit_tid")
                if response.ok:
                    self._log(method, path, response.status_code, started, tid, attempt)
                    self.last_intuit_tid = tid
                    return _document(response, f"{method} {path}", tid), tid
                failure = parse_fault(
                    response.status_code,
                    response.content,
                    response.headers.get("Content-Type"),
                    response.headers,
                )
                self._log(method, path, response.status_code, started, tid, attempt, failure)
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    token = self._tokens.refresh_after_unauthorized(token)
                    secret_remember(token)
                    continue
            retries += 1
            delay = self._backoff(retries, failure.retry_after) if failure.retriable else None
            # No retry may outlast the call's deadline: the caller (a page, a task) is waiting.
            if delay is None or retries > self.config.max_retries or delay >= deadline.remaining():
                raise failure
            time.sleep(delay)

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        content_type: str,
        token: str,
        deadline: Deadline,
        *,
        batch: bool = False,
    ) -> requests.Response:
        self._session.token = {"access_token": token, "token_type": "Bearer"}
        with self._limiter.slot(self.realm_id, batch=batch):
            return self._session.request(
                method,
                url,
                data=data,
                headers={"Accept": "application/json", "Content-Type": content_type},
                timeout=deadline,
            )

    def _backoff(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds before retry number `retry`, or None when QBO asks for a longer wait."""
        cap = self.config.backoff_cap
        if retry_after is not None:
            # A wait longer than the cap is better spent by the task queue than a blocked worker.
            return retry_after if retry_after <= cap else None
        return random.uniform(0, min(cap, self.config.backoff_base * 2 ** (retry - 1)))

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        intuit_tid: str | None,
        attempt: int,
        failure: QboError | None = None,
    ) -> None:
        logger.log(
            logging.INFO if failure is None else logging.WARNING,
            "qbo %s %s status=%s duration_ms=%d intuit_tid=%s attempt=%d realm=%s%s",
            method,
            path,
            status if status is not None else "no-response",
            (time.monotonic() - started) * 1000,
            intuit_tid,
            attempt,
            self.realm_id,
            f" error={type(failure).__name__} code={failure.code}" if failure else "",
        )


def _widened(value: Any) -> bool:
    """Whether `value` is text QBO's query lexer refuses, so `find` asks for it with LIKE."""
    return isinstance(value, str) and _UNLEXABLE.search(value) is not None


def _field_value(row: Mapping[str, Any], field: str) -> Any:
    value: Any = row
    for part in field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _same_text(value: Any, wanted: str) -> bool:
    return isinstance(value, str) and value.lower() == wanted.lower()


def _checked_entity(entity: str) -> str:
    if not _ENTITY.fullmatch(entity):
        raise ValueError(f"Entity names are spelled as in QBO, e.g. 'Item': got {entity!r}")
    return entity


def _json_number(value: Any) -> float:
    """Money goes out as a JSON number; a float carries 2–4 decimal places exactly."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _segment(entity: str) -> str:
    """The URL path segment of an entity name: `BillPayment` → `billpayment`."""
    return _checked_entity(entity).lower()


def _checked_request_id(request_id: str) -> str:
    if not request_id or len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise ValueError(f"requestid must be 1 to {MAX_REQUEST_ID_LENGTH} characters")
    return request_id


def _derived_request_id(request_id: str, number: int) -> str:
    """A stable, distinct requestid for chunk `number` of a batch."""
    derived = f"{request_id}-{number}"
    if len(derived) <= MAX_BATCH_REQUEST_ID_LENGTH:
        return derived
    return sha256(derived.encode()).hexdigest()[:MAX_BATCH_REQUEST_ID_LENGTH]


def qbo_time(value: object) -> datetime | None:
    """A time as QBO writes it ("2020-09-29T08:02:53.512-07:00", "2025-12-04T15:25:05Z") in
    UTC, or None when it is missing or not an ISO date-time with its offset."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _document(response: requests.Response, what: str, tid: str | None) -> dict:
    """The JSON object of a 2xx answer; a Fault inside one still raises."""
    content_type = response.headers.get("Content-Type")
    try:
        document = json.loads(response.content)
    except (ValueError, RecursionError):  # cut off, not JSON, not text, nested beyond reason
        raise QboMalformedResponseError(
            f"Expected a JSON object from {what}: "
            f"{describe_body(response.status_code, response.content, content_type)} "
            f"({len(response.content)} bytes, {content_type or 'no content type'})",
            status=response.status_code,
            intuit_tid=tid,
        ) from None
    if not isinstance(document, dict):
        raise QboMalformedResponseError(
            f"Expected a JSON object from {what}, got a JSON {_json_kind(document)}",
            status=response.status_code,
            intuit_tid=tid,
        )
    fault = document.get("Fault") or document.get("fault")
    if isinstance(fault, Mapping):
        raise fault_error(fault, status=response.status_code, intuit_tid=tid)
    return document


def _unwrap(document: Mapping[str, Any], key: str, what: str) -> dict:
    value = document.get(key)
    if not isinstance(value, dict):
        raise QboMalformedResponseError(
            f"Expected a {key!r} object in the answer to {what}, got keys {_keys(document)}"
        )
    return value


def _batch_result(answer: Mapping[str, Any], tid: str | None) -> dict | QboError:
    fault = answer.get("Fault", answer.get("fault"))
    if fault is not None:
        return fault_error(fault if isinstance(fault, Mapping) else {}, status=None, intuit_tid=tid)
    # The gateway's lowercase shape carries null members beside the one object.
    values = [value for key, value in answer.items() if key != "bId" and value is not None]
    if len(values) != 1 or not isinstance(values[0], dict):
        raise QboMalformedResponseError(
            f"Expected one object in batch item {clip(repr(answer.get('bId')), 60)}, "
            f"got keys {_keys(answer)}"
        )
    return values[0]


def _keys(document: Mapping[str, Any], shown: int = 10) -> str:
    """The keys of an unexpected object, for an error message: a few, each cut short."""
    keys = sorted(str(key) for key in document)
    listed = ", ".join(repr(clip(key, 40)) for key in keys[:shown])
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return f"[{listed}]{more}"


def _json_kind(value: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _is_str(value: Any) -> bool:
    return isinstance(value, str)
