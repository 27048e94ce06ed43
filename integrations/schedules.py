"""The django-q schedules of the integration, made once by name after every migrate."""

from django_q.models import Schedule

ITEM_SYNC_SCHEDULE = "qbo-items-hourly"


def schedules_ensure(*, using: str = "default") -> None:
    """Create the schedules that do not exist yet; ones an admin has edited are left alone."""
    Schedule.objects.using(using).get_or_create(
        name=ITEM_SYNC_SCHEDULE,
        defaults={
            "func": "integrations.tasks.item_sync_task",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )


def schedules_post_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: the schedule table exists once the migrations have run."""
    schedules_ensure(using=using)
