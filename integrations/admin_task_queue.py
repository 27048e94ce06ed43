"""django-q's admin pages, re-registered so that the task queue runs nothing but our own tasks.

django-q's worker imports and calls whatever dotted path a schedule or a resubmitted task
names, as the worker's user: these pages are guarded as the integration's settings are.
"""

from django.contrib import admin, messages
from django_q import admin as django_q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from integrations.admin_forms import ScheduleAdminForm
from integrations.permissions import ManageIntegrationWritesMixin, can_manage_integration
from integrations.schedules import SCHEDULES, task_entry_point_problem

# What the integration's own schedules run is fixed: an admin may retime them, not re-point them.
PINNED_SCHEDULE_FIELDS = [
    "name",
    "func",
    "hook",
    "args",
    "kwargs",
    "cluster",
    "intended_date_kwarg",
]


def is_own_schedule(schedule: Schedule | None) -> bool:
    return schedule is not None and schedule.name in SCHEDULES


class ScheduleAdmin(ManageIntegrationWritesMixin, django_q_admin.ScheduleAdmin):
    form = ScheduleAdminForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + PINNED_SCHEDULE_FIELDS if is_own_schedule(obj) else readonly

    def has_delete_permission(self, request, obj=None):
        # The sync and the outbox sweeper would stop until the next migrate recreated them.
        return super().has_delete_permission(request, obj) and not is_own_schedule(obj)


class TaskHistoryAdminMixin(ManageIntegrationWritesMixin):
    """Finished tasks: read-only; resubmitting and deleting need the integration permission."""

    actions = ["resubmit_task"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_manage_integration_permission(self, request):
        return can_manage_integration(request.user)

    @admin.action(
        description="Resubmit selected tasks to queue", permissions=["manage_integration"]
    )
    def resubmit_task(self, request, queryset):
        """django-q's Resubmit, for the tasks that run one of the integration's own tasks."""
        refused = [
            task
            for task in queryset
            if task_entry_point_problem(task.func)
            or (task.hook and task_entry_point_problem(task.hook))
        ]
        if refused:
            self.message_user(
                request,
                "Run these from the integration's own pages instead; they name a function that "
                f"is not one of its tasks, so they were not resubmitted: "
                f"{', '.join(str(task) for task in refused)}.",
                messages.ERROR,
            )
        django_q_admin.resubmit_task(
            self, request, queryset.exclude(pk__in=[task.pk for task in refused])
        )


class SuccessAdmin(TaskHistoryAdminMixin, django_q_admin.TaskAdmin):
    pass


class FailureAdmin(TaskHistoryAdminMixin, django_q_admin.FailAdmin):
    pass


class QueueAdmin(ManageIntegrationWritesMixin, django_q_admin.QueueAdmin):
    def has_change_permission(self, request, obj=None):
        # A queued task's key and lock belong to the cluster: an edit runs it twice, or never.
        return False


for _model, _model_admin in (
    (Schedule, ScheduleAdmin),
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (OrmQ, QueueAdmin),
):
    # django-q registers the queue only with the ORM broker.
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)
