"""The hourly schedule, made once by name, and the status page's Sync now and sync log."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django_q.models import Schedule

from integrations.models import SyncRun
from integrations.schedules import CHANGES_SCHEDULE, schedules_ensure
from tests.factories import ProductFactory
from tests.items.conftest import api_calls, mirrored, qbo_item_update

pytestmark = pytest.mark.django_db


def test_migrate_made_the_hourly_schedule_and_making_it_again_changes_nothing():
    schedule = Schedule.objects.get(name=CHANGES_SCHEDULE)
    assert schedule.func == "integrations.tasks.changes_sync_task"
    assert schedule.name == "qbo-changes-hourly"
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1

    Schedule.objects.filter(pk=schedule.pk).update(minutes=30, schedule_type=Schedule.MINUTES)
    schedules_ensure()

    assert Schedule.objects.filter(name=CHANGES_SCHEDULE).count() == 1
    assert Schedule.objects.get(name=CHANGES_SCHEDULE).minutes == 30  # an admin's edit stays


def test_sync_now_runs_the_change_pipeline_once_and_shows_the_log(admin_client, synced):
    """One pass: one CDC read for the items and the documents, and the preferences, since
    someone asked."""
    product = ProductFactory(name="Blue Dream eighth", sales_qbo_item=mirrored("Blue Dream 3.5g"))
    qbo_item_update(synced, "Blue Dream 3.5g", Active=False)
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert reverse("integrations:sync") in page and "Sync now" in page
    synced.control("requests/clear")

    response = admin_client.post(reverse("integrations:sync"), follow=True)

    assert api_calls(synced) == ["GET cdc", "GET preferences"]
    run = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).first()
    assert run.removed == 1 and run.trigger == SyncRun.Trigger.SYNC_NOW
    page = response.content.decode()
    assert "Sync started" in page
    assert f"“{product.name}” lost its sales item “Blue Dream 3.5g”" in page


def test_sync_now_needs_the_integration_permission(client, django_user_model, synced):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)

    assert client.post(reverse("integrations:sync")).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="manage_qbo_integration"))
    assert client.post(reverse("integrations:sync")).status_code == 302
    assert api_calls(synced) == ["GET cdc", "GET preferences"]


def test_migrate_also_made_the_outbox_sweeper_and_removed_the_two_old_hourly_passes():
    from integrations.schedules import OUTBOX_SWEEP_SCHEDULE, SCHEDULES

    sweeper = Schedule.objects.get(name=OUTBOX_SWEEP_SCHEDULE)
    assert sweeper.func == "integrations.tasks.sync_jobs_drain_task"
    assert (sweeper.schedule_type, sweeper.minutes) == (Schedule.MINUTES, 1)
    hourly = Schedule.objects.filter(schedule_type=Schedule.HOURLY, name__in=SCHEDULES)
    assert list(hourly.values_list("name", flat=True)) == [CHANGES_SCHEDULE]


def test_migrating_a_database_with_the_old_hourly_schedules_removes_them():
    for name, func in [
        ("qbo-items-hourly", "integrations.tasks.item_sync_task"),
        ("qbo-transactions-changed-hourly", "integrations.tasks.transactions_cdc_check_task"),
    ]:
        Schedule.objects.create(name=name, func=func, schedule_type=Schedule.HOURLY)

    call_command("migrate", verbosity=0)

    names = set(Schedule.objects.values_list("name", flat=True))
    assert not names & {"qbo-items-hourly", "qbo-transactions-changed-hourly"}
    assert CHANGES_SCHEDULE in names
