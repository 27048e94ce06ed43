"""Told without looking: a sync problem is emailed to the people who run the integration, once.

A problem is one of two things, and each has an end:

- **Pushes failing with one code** (QBO's fault code, or the outbox's own; empty for a record
  refused before it was sent). It starts when a push fails, visibly, with a code no open
  problem has. It is over once no job still carries a failure with that code: each went
  through (which clears its error) or was deleted. A Retry that fails the same way is the
  same problem, so a Retry all that changes nothing sends nothing.
- **A reconnect needed**: the connection was marked expired (the sign-in was revoked or is
  too old, or no key decrypts the tokens) or QBO refused it (120, 3100, 6190). It is over when
  someone reconnects.

The people are the active users with the integration permission (given to them or to one of
their groups, superusers included) and an email address. The email is sent after the commit,
from a task, so a slow or failing mail server never holds up a push.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django_q.tasks import async_task

from integrations.models import SyncJob, SyncProblem
from integrations.permissions import MANAGE_PERMISSION
from integrations.qbo.errors import without_nul

logger = logging.getLogger(__name__)

EXPIRED_SIGN_IN = (
    "Reconnect to QuickBooks: it no longer accepts the saved sign-in (it was revoked or is "
    "too old)."
)


def push_problem_open(*, job: SyncJob) -> None:
    """A push failed for the user to act on: a new problem if its code is not one already."""
    _problem_open(
        kind=SyncProblem.Kind.PUSH_FAILED,
        code=job.last_error_code,
        summary=f"{job.label}: {job.last_error}",
    )


def push_problems_close() -> int:
    """Forget the push problems no job carries any more, so their next failure is news."""
    problems = SyncProblem.objects.filter(kind=SyncProblem.Kind.PUSH_FAILED)
    if not problems.exists():  # the usual case: no scan of the outbox after every push
        return 0
    carried = SyncJob.objects.exclude(last_error="").values("last_error_code")
    return problems.exclude(code__in=carried).delete()[0]


def reconnect_problem_open(*, reason: str = "") -> None:
    """The connection needs a reconnect: a new problem unless one is open already."""
    _problem_open(kind=SyncProblem.Kind.RECONNECT, summary=reason or EXPIRED_SIGN_IN)


def reconnect_problem_close() -> None:
    """Someone reconnected: the next expiry is news."""
    SyncProblem.objects.filter(kind=SyncProblem.Kind.RECONNECT).delete()


def _problem_open(*, kind: str, summary: str, code: str = "") -> None:
    # The unique (kind, code) makes one caller the creator however many workers fail at once.
    problem, created = SyncProblem.objects.get_or_create(
        kind=kind, code=code, defaults={"summary": without_nul(summary)}
    )
    if created:
        logger.info("New QuickBooks sync problem: %s", problem)
        transaction.on_commit(
            lambda: async_task(
                "integrations.tasks.problem_email_task",
                problem.pk,
                task_name=f"qbo-problem-email-{problem.pk}",
            ),
            robust=True,  # a broker that is down costs the email, never the push
        )


def problem_email_send(*, problem_id: int) -> int:
    """Email a problem to everyone who runs the integration; how many emails went."""
    problem = SyncProblem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0  # over before the email went: nothing to tell
    subject, body = _problem_email(problem)
    emails = [EmailMessage(subject, body, to=[address]) for address in problem_recipients()]
    if not emails:
        logger.warning(
            "No one to email about %s: no active user with the permission has one", problem
        )
        return 0
    return get_connection().send_messages(emails) or 0


def problem_recipients() -> list[str]:
    """The addresses of the active users who may manage the integration."""
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    users = user_model.objects.with_perm(MANAGE_PERMISSION, include_superusers=True)
    addresses = users.exclude(**{email_field: ""}).values_list(email_field, flat=True)
    return sorted(set(addresses))


def _problem_email(problem: SyncProblem) -> tuple[str, str]:
    page = f"{settings.DISTRU_BASE_URL}{reverse('integrations:quickbooks')}"
    if problem.kind == SyncProblem.Kind.RECONNECT:
        return (
            "QuickBooks: reconnect to keep sending to QuickBooks",
            f"{problem.summary}\n\nThe QuickBooks page, with the Reconnect button:\n{page}\n\n"
            "Until then nothing is sent to QuickBooks, and nothing is lost: everything waiting "
            "goes through once you reconnect. You will not be emailed about this again until "
            "QuickBooks is reconnected.\n",
        )
    code = f" (QuickBooks code {problem.code})" if problem.code.isdigit() else ""
    return (
        f"QuickBooks: pushes are failing{code}",
        "Open the QuickBooks page, do what it says for each failed push, then press Retry:\n"
        f"{page}#outbox\n\n"
        f"The first to fail:\n{problem.summary}\n\n"
        "Every push that fails the same way is listed there. You will not be emailed about "
        "this again until all of them have gone through.\n",
    )
