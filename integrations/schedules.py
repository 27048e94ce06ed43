"""The django-q schedules of the integration, made once by name after every migrate."""

from django_q.models import Schedule

ITEM_SYNC_SCHEDULE = "qbo-items-hourly"
OUTBOX_SWEEP_SCHEDULE = "qbo-outbox-every-minute"
TRANSACTIONS_CHECK_SCHEDULE = "qbo-transactions-changed-hourly"

SCHEDULES = {
    ITEM_SYNC_SCHEDULE: ("integrations.tasks.item_sync_task", Schedule.HOURLY),
    # Picks up any job whose enqueue was lost (a crash between commit and enqueue) and retries.
    OUTBOX_SWEEP_SCHEDULE: ("integrations.tasks.sync_jobs_drain_task", Schedule.MINUTES),
    TRANSACTIONS_CHECK_SCHEDULE: (
        "integrations.tasks.transactions_cdc_check_task",
        Schedule.HOURLY,
    ),
}


def schedules_ensure(*, using: str = "default") -> None:
    """Create the schedules that do not exist yet; ones an admin has edited are left alone."""
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
