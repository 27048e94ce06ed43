"""The django-q schedules of the integration, and what any schedule may run.

django-q's worker imports and calls whatever dotted path a schedule names, as the worker's
user; so a schedule may only name one of the project's own task entry points, with arguments
that are plain literals the function accepts.
"""

import ast
import inspect
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django_q.models import Schedule

from integrations import tasks

CHANGES_SCHEDULE = "qbo-changes-hourly"
OUTBOX_SWEEP_SCHEDULE = "qbo-outbox-every-minute"
HISTORY_PRUNE_SCHEDULE = "qbo-history-prune-daily"

SCHEDULES = {
    # The catch-up of the change pipeline: it stays on with webhooks, which may be lost.
    CHANGES_SCHEDULE: ("integrations.tasks.changes_sync_task", Schedule.HOURLY),
    # Picks up any job whose enqueue was lost (a crash between commit and enqueue) and retries.
    OUTBOX_SWEEP_SCHEDULE: ("integrations.tasks.sync_jobs_drain_task", Schedule.MINUTES),
    HISTORY_PRUNE_SCHEDULE: ("integrations.tasks.sync_history_prune_task", Schedule.DAILY),
}
# The two hourly passes the change pipeline replaced; migrating removes them.
RETIRED_SCHEDULES = ("qbo-items-hourly", "qbo-transactions-changed-hourly")
# Long enough for any argument our tasks take; literal_eval of a huge text can exhaust memory.
ARGUMENTS_MAX_CHARS = 1000


def schedules_ensure(*, using: str = "default") -> None:
    """Create the schedules that do not exist yet, and remove the retired ones; ones an admin
    has edited are left alone."""
    Schedule.objects.using(using).filter(name__in=RETIRED_SCHEDULES).delete()
    for name, (func, schedule_type) in SCHEDULES.items():
        Schedule.objects.using(using).get_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": schedule_type,
                "minutes": 1 if schedule_type == Schedule.MINUTES else None,
                "repeats": -1,
            },
        )


def schedules_post_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: the schedule table exists once the migrations have run."""
    schedules_ensure(using=using)


def task_entry_points() -> dict[str, Callable]:
    """The public functions of integrations.tasks by dotted path: all a task may run."""
    return {
        f"{tasks.__name__}.{name}": function
        for name, function in inspect.getmembers(tasks, inspect.isfunction)
        if function.__module__ == tasks.__name__ and not name.startswith("_")
    }


def task_entry_point_problem(path: str | None) -> str | None:
    """Why the dotted path `path` may not be run by a task, or None when it may."""
    if path in task_entry_points():
        return None
    return (
        f"Choose one of the integration's tasks ({', '.join(sorted(task_entry_points()))}): "
        "the worker runs what a task names, so nothing else may be named here."
    )


def schedule_arguments_check(*, func: str, args: str, kwargs: str, date_kwarg: str) -> None:
    """Refuse arguments django-q could not parse, or that the entry point `func` would not take.

    The texts are read the way django-q's scheduler reads them (`ast.literal_eval`, or a
    `name=value` list parsed, never run), and a text it would fail on is refused here: the
    scheduler runs every due schedule in one transaction, so one bad schedule stops them all.
    """
    positional = _schedule_args(args)
    keywords = _schedule_kwargs(kwargs)
    if date_kwarg:
        keywords[date_kwarg] = "2026-01-01T00:00:00+00:00"
    function = task_entry_points()[func]
    signature = inspect.signature(function)
    short = func.rsplit(".", 1)[-1]
    takes = signature.replace(return_annotation=inspect.Signature.empty)
    # Names outside the signature are refused even where a function would take **kwargs:
    # django-q reads `hook`, `cluster`, `q_options` … among the keywords as its own options.
    named = {
        name
        for name, parameter in signature.parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }
    if unknown := sorted(set(keywords) - named):
        field = "intended_date_kwarg" if unknown[0] == date_kwarg else "kwargs"
        raise ValidationError({field: f"Remove “{unknown[0]}”: {short} takes only {takes}."})
    try:
        signature.bind(*positional, **keywords)
    except TypeError as error:
        raise ValidationError(f"Give {short} the arguments it takes {takes}: {error}.") from None


def _too_long(text: str, field: str) -> None:
    if len(text) > ARGUMENTS_MAX_CHARS:
        raise ValidationError(
            {field: f"Shorten the arguments to {ARGUMENTS_MAX_CHARS} characters at most."}
        )


def _schedule_args(text: str) -> tuple:
    if not text:
        return ()
    _too_long(text, "args")
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise ValidationError(
            {
                "args": "Write the arguments as plain values separated by commas, such as "
                "12, 'text', True: no names, calls or expressions."
            }
        ) from None
    # django-q passes a single value as the only argument.
    return value if type(value) is tuple else (value,)


def _schedule_kwargs(text: str) -> dict:
    if not text:
        return {}
    _too_long(text, "kwargs")
    refusal = ValidationError(
        {
            "kwargs": "Write the keyword arguments as name=value pairs of plain values, such "
            "as full=True: no calls or expressions."
        }
    )
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        pass
    else:
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):
            return value
        raise refusal
    # django-q's second reading: the text as the keywords of a call, each value a literal.
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
            raise ValueError
        keywords = {}
        for keyword in call.keywords:
            if keyword.arg is None:  # **mapping
                raise ValueError
            keywords[keyword.arg] = ast.literal_eval(keyword.value)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise refusal from None
    return keywords
