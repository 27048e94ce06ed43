"""django-q's admin pages run nothing but the integration's own tasks, and only its managers
touch the schedules, the queue and the task history."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_q.models import OrmQ, Schedule, Success, Task
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage

from integrations import tasks
from integrations.schedules import CHANGES_SCHEDULE, OUTBOX_SWEEP_SCHEDULE, task_entry_points

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:django_q_schedule_add")


def schedule_form(**fields) -> dict:
    """What the Schedule admin's add or change form posts, with `fields` changed."""
    return {
        "name": "nightly full sync",
        "func": "integrations.tasks.changes_sync_task",
        "hook": "",
        "args": "",
        "kwargs": "",
        "schedule_type": Schedule.DAILY,
        "minutes": "",
        "repeats": "-1",
        "next_run_0": "2030-01-01",
        "next_run_1": "03:00:00",
        "cron": "",
        "cluster": "",
        "intended_date_kwarg": "",
        **fields,
    }


def schedule_data(schedule: Schedule, **fields) -> dict:
    """The change form of `schedule` as stored, with `fields` changed."""
    stored = {
        "name": schedule.name,
        "func": schedule.func,
        "schedule_type": schedule.schedule_type,
        "minutes": schedule.minutes or "",
    }
    return schedule_form(**{**stored, **fields})


def schedule_errors(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors


def with_permissions(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


SHELL = "subprocess.getoutput"


@pytest.mark.parametrize(
    "fields",
    [
        {"func": SHELL, "args": "'touch {marker}'"},
        {"func": "os.system", "args": "'touch {marker}'"},
        # Imported into integrations.tasks, but not one of its entry points.
        {"func": "integrations.tasks.qbo_client"},
        {"hook": SHELL},
        # django-q reads these keyword arguments as its own options (a hook, a chain …).
        {"kwargs": f"hook='{SHELL}'"},
        {"kwargs": f"{{'q_options': {{'hook': '{SHELL}'}}}}"},
        {"intended_date_kwarg": "hook"},
        {"args": "__import__('os').system('touch {marker}')"},
        {"kwargs": "full=__import__('os').system('touch {marker}')"},
        {"kwargs": "**{'hook': 'os.system'}"},
    ],
)
def test_a_schedule_that_would_run_anything_else_is_refused_even_for_a_superuser(
    admin_client, tmp_path, fields
):
    marker = tmp_path / "ran"
    data = schedule_form(
        **{key: value.replace("{marker}", str(marker)) for key, value in fields.items()}
    )
    before = set(Schedule.objects.values_list("pk", flat=True))

    errors = schedule_errors(admin_client.post(ADD_URL, data))

    assert errors
    assert set(Schedule.objects.values_list("pk", flat=True)) == before
    scheduler()  # the scheduler finds nothing new to run
    assert not marker.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"args": "1, 2"}, "__all__", "Give changes_sync_task the arguments it takes (full: bool"),
        ({"kwargs": "ful=True"}, "kwargs", "Remove “ful”: changes_sync_task takes only"),
        ({"args": "(" * 2000}, "args", "Shorten the arguments to 1000 characters"),
        ({"kwargs": "full=True)(x=1"}, "kwargs", "Write the keyword arguments as name=value"),
        ({"func": SHELL}, "func", "Choose one of the integration's tasks"),
        ({"name": OUTBOX_SWEEP_SCHEDULE}, "name", "Choose another name"),
    ],
)
def test_each_refusal_says_what_to_write_instead(admin_client, fields, field, message):
    errors = schedule_errors(admin_client.post(ADD_URL, schedule_form(**fields)))
    assert message in " ".join(errors[field])


@pytest.mark.parametrize(
    ("func", "arguments"),
    [
        ("integrations.tasks.changes_sync_task", {"kwargs": "full=True"}),
        ("integrations.tasks.changes_sync_task", {"kwargs": "{'full': True}"}),
        ("integrations.tasks.sync_job_run_task", {"args": "12"}),
        (
            "integrations.tasks.sync_jobs_drain_task",
            {"hook": "integrations.tasks.changes_sync_task"},
        ),
    ],
)
def test_a_manager_schedules_an_integration_task_with_literal_arguments(
    client, manager, func, arguments
):
    with_permissions(manager, "add_schedule")
    client.force_login(manager)
    client.post(ADD_URL, schedule_form(func=func, **arguments))
    schedule = Schedule.objects.get(name="nightly full sync")
    assert schedule.func == func
    stored = {"args": schedule.args, "kwargs": schedule.kwargs, "hook": schedule.hook}
    assert {key: value for key, value in stored.items() if value} == arguments


def test_the_allowed_tasks_are_the_public_functions_defined_in_integrations_tasks(monkeypatch):
    def report_task() -> None:
        """A task added to the module later."""

    report_task.__module__ = tasks.__name__
    monkeypatch.setattr(tasks, "report_task", report_task, raising=False)
    monkeypatch.setattr(tasks, "_private_helper", report_task, raising=False)

    allowed = task_entry_points()

    assert "integrations.tasks.report_task" in allowed
    assert "integrations.tasks.changes_sync_task" in allowed
    assert "integrations.tasks._private_helper" not in allowed
    assert "integrations.tasks.qbo_client" not in allowed  # imported, not defined there


def test_staff_with_django_qs_schedule_permissions_but_not_the_integrations_are_refused(
    client, viewer
):
    """The attack as it was found: staff allowed to add schedules, without the integration
    permission."""
    with_permissions(viewer, "add_schedule", "change_schedule", "delete_schedule")
    client.force_login(viewer)
    ours = Schedule.objects.get(name=CHANGES_SCHEDULE)

    assert client.post(ADD_URL, schedule_form()).status_code == 403
    change = reverse("admin:django_q_schedule_change", args=[ours.pk])
    assert client.post(change, schedule_data(ours, minutes="5")).status_code == 403
    delete = reverse("admin:django_q_schedule_delete", args=[ours.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403

    assert not Schedule.objects.filter(name="nightly full sync").exists()
    assert Schedule.objects.get(pk=ours.pk).minutes is None


def test_the_integrations_own_schedules_can_be_retimed_but_not_re_pointed_or_deleted(
    admin_client,
):
    ours = Schedule.objects.get(name=CHANGES_SCHEDULE)
    change = reverse("admin:django_q_schedule_change", args=[ours.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="func"' not in page and 'name="args"' not in page

    admin_client.post(
        change,
        schedule_data(
            ours,
            schedule_type=Schedule.MINUTES,
            minutes="30",
            func=SHELL,
            args="'id'",
            name="renamed",
        ),
    )
    delete = reverse("admin:django_q_schedule_delete", args=[ours.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:django_q_schedule_changelist")
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [ours.pk], "post": "yes"}
    )

    ours.refresh_from_db()
    assert (ours.name, ours.func, ours.args) == (
        CHANGES_SCHEDULE,
        "integrations.tasks.changes_sync_task",
        None,
    )
    assert (ours.schedule_type, ours.minutes) == (Schedule.MINUTES, 30)


def test_an_own_schedule_cannot_become_a_once_schedule_which_deletes_itself(admin_client):
    ours = Schedule.objects.get(name=OUTBOX_SWEEP_SCHEDULE)
    change = reverse("admin:django_q_schedule_change", args=[ours.pk])
    errors = schedule_errors(
        admin_client.post(change, schedule_data(ours, schedule_type=Schedule.ONCE))
    )
    assert "to pause it, set Repeats to 0" in errors["schedule_type"][0]
    assert Schedule.objects.get(pk=ours.pk).schedule_type == Schedule.MINUTES


@pytest.fixture
def queued():
    package = {"id": "q1", "name": "qbo-push-1", "func": "integrations.tasks.sync_job_run_task"}
    return OrmQ.objects.create(key="distru_qbo", payload=SignedPackage.dumps(package))


def test_nobody_edits_a_queued_task_and_only_managers_delete_one(
    client, admin_client, viewer, manager, queued
):
    change = reverse("admin:django_q_ormq_change", args=[queued.pk])
    delete = reverse("admin:django_q_ormq_delete", args=[queued.pk])
    lock = {"key": "elsewhere", "lock_0": "2030-01-01", "lock_1": "00:00:00"}

    assert admin_client.post(change, lock).status_code == 403
    with_permissions(viewer, "change_ormq", "delete_ormq")
    client.force_login(viewer)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    queued.refresh_from_db()
    assert (queued.key, queued.lock) == ("distru_qbo", None)

    with_permissions(manager, "delete_ormq")
    client.force_login(manager)
    client.post(delete, {"post": "yes"})
    assert not OrmQ.objects.filter(pk=queued.pk).exists()


def finished_task(func: str, *, hook: str | None = None, success: bool = True) -> Task:
    return Task.objects.create(
        id=f"t-{func[-20:]}",
        name=func,
        func=func,
        hook=hook,
        started="2026-01-01T00:00Z",
        stopped="2026-01-01T00:00Z",
        success=success,
    )


def test_resubmit_runs_only_the_integrations_own_tasks_even_for_a_manager(
    client, manager, monkeypatch
):
    ours = finished_task("integrations.tasks.changes_sync_task")
    shell = finished_task(SHELL)
    hooked = finished_task("integrations.tasks.sync_jobs_drain_task", hook=SHELL)
    resubmitted = []
    monkeypatch.setattr("django_q.admin.async_task", lambda func, *a, **k: resubmitted.append(func))
    client.force_login(manager)

    response = client.post(
        reverse("admin:django_q_success_changelist"),
        {"action": "resubmit_task", "_selected_action": [ours.pk, shell.pk, hooked.pk]},
        follow=True,
    )

    assert resubmitted == ["integrations.tasks.changes_sync_task"]
    assert "they were not resubmitted" in response.content.decode()


def test_the_task_history_is_read_only_and_only_managers_delete_from_it(client, viewer, manager):
    task = finished_task("integrations.tasks.changes_sync_task")
    delete = reverse("admin:django_q_success_delete", args=[task.pk])
    with_permissions(viewer, "change_success", "delete_success")
    client.force_login(viewer)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Success.objects.filter(pk=task.pk).exists()

    with_permissions(manager, "delete_success")
    client.force_login(manager)
    client.post(delete, {"post": "yes"})
    assert not Success.objects.filter(pk=task.pk).exists()
