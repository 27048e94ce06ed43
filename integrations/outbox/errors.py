"""The outbox's one error contract: a push that did not go through needs the user, or waits.

- `UserMustAct`: the job stops, visibly, and its message leads with what to do; it fails until
  the user has fixed the cause and pressed Retry. `ConnectionPaused` is the kind where QuickBooks
  refuses the connection itself: every job pauses until the user reconnects.
- `RetryLater`: nothing for the user to do; the job backs off and runs again by itself.

Every failure the outbox raises is one of these, and `runner.push_failure` turns QBO's answers
(and anything unforeseen) into one, so nothing reaches the status page unexplained. Pages
show a message as `error_parts` splits it: what to do, QBO's words, then the code and
intuit_tid for support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from integrations.qbo.errors import FACT_LABELS

if TYPE_CHECKING:
    from integrations.models import SyncJob

# Between what to do and QBO's own words, in every message that quotes QBO.
QBO_SAID = "QuickBooks said:"
_FACTS_AT_END = re.compile(rf"\s*\(((?:{'|'.join(FACT_LABELS)}) [^()]*)\)\s*$")


class OutboxError(Exception):
    """Why a push did not go through; the message leads with what to do, if anything."""

    def __init__(self, message: str, *, code: str = "", new_request_id: bool = False) -> None:
        super().__init__(message)
        self.code = code  # QBO's fault code, or one of ours (e.g. DEFAULT_ITEM_WAIT)
        # QBO answered the write with a fault and keeps that answer for its requestid: sent
        # again under the same id, it would get the same fault back even once the cause is
        # fixed. Only QBO's own answer sets this; after a timeout, a 5xx or a throttle the
        # id is kept, since an earlier attempt may have gone through.
        self.new_request_id = new_request_id


class UserMustAct(OutboxError):
    """The job fails, visibly, until the user does what the message says and retries it."""


class ConnectionPaused(UserMustAct):
    """QuickBooks refuses the connection, not the record: every job waits for a reconnect."""


class RetryLater(OutboxError):
    """Nothing for the user to do: the job is tried again after a back-off."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        new_request_id: bool = False,
        retry_after: float | None = None,
        waiting_on: SyncJob | None = None,
    ) -> None:
        super().__init__(message, code=code, new_request_id=new_request_id)
        self.retry_after = retry_after  # seconds QBO asked us to wait (Retry-After)
        self.waiting_on = waiting_on  # the job whose success wakes this one at once


class PushRefused(UserMustAct):
    """The record cannot be sent as it is; the message tells the user what to fix."""


class DependencyNotSynced(RetryLater):
    """A record this one references is not in QBO yet; `waiting_on` is its job, if it has one."""


@dataclass(frozen=True)
class ErrorParts:
    """A failure as the user reads it: what to do, then QBO's words, then what support needs."""

    action: str
    qbo_said: str = ""
    reference: str = ""  # "code 6140 · HTTP 400 · intuit_tid 1-…"


def error_parts(message: str) -> ErrorParts:
    """Split a message of this contract ("<what to do> QuickBooks said: <words> (code …)")."""
    action, said, words = message.partition(QBO_SAID)
    if not said:
        return ErrorParts(message.strip())
    words, reference = words.strip(), ""
    if facts := _FACTS_AT_END.search(words):
        words = words[: facts.start()]
        reference = " · ".join(fact.strip() for fact in facts.group(1).split(","))
    return ErrorParts(action.strip(), words, reference)
