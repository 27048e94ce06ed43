"""Admin forms of the QBO mirror."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django_q.models import Schedule

from integrations.models import QboClass, QboItem
from integrations.schedules import (
    SCHEDULES,
    schedule_arguments_check,
    task_entry_point_problem,
    task_entry_points,
)


class QboItemAdminForm(forms.ModelForm):
    """An item as QBO will accept it: a name QBO allows, of at most 100 characters, not taken.

    QBO names are unique regardless of case, so a taken name is refused with a link to the
    item that holds it: that item is the one to use.
    """

    class Meta:
        model = QboItem
        fields = [
            "name",
            "type",
            "sku",
            "description",
            "active",
            "unit_price",
            "income_account",
            "purchase_cost",
            "expense_account",
            "qbo_class",
        ]
        error_messages = {
            "name": {
                "max_length": (
                    "QuickBooks allows at most %(limit_value)d characters in an item name; "
                    "this one has %(show_value)d."
                ),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An item keeps its class even after the class is inactivated in QBO.
        self.fields["qbo_class"].queryset = QboClass.objects.filter(
            Q(active=True) | Q(pk=self.instance.qbo_class_id)
        )

    def clean_name(self):
        name = self.cleaned_data["name"]
        taken = QboItem.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if taken is not None:
            raise ValidationError(
                format_html(
                    "QuickBooks already has an item named “{}” (names are unique regardless of "
                    'case). <a href="{}">Use the existing item</a> instead of creating a '
                    "duplicate.",
                    taken.name,
                    reverse("admin:integrations_qboitem_change", args=[taken.pk]),
                ),
                code="duplicate",
            )
        return name


class ScheduleAdminForm(forms.ModelForm):
    """A schedule runs one of the integration's tasks, with literal arguments that task takes.

    Checked for everyone, superusers included: the admin is no way to run code on the worker.
    """

    class Meta:
        model = Schedule
        fields = [
            "name",
            "func",
            "hook",
            "args",
            "kwargs",
            "schedule_type",
            "minutes",
            "repeats",
            "next_run",
            "cron",
            "cluster",
            "intended_date_kwarg",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tasks = [(path, path) for path in sorted(task_entry_points())]
        if "func" in self.fields:
            self.fields["func"].widget = forms.Select(choices=[("", "---------"), *tasks])
        if "hook" in self.fields:
            self.fields["hook"].widget = forms.Select(choices=[("", "No hook"), *tasks])

    def clean_name(self):
        name = self.cleaned_data["name"]
        if name in SCHEDULES and name != self.instance.name:
            raise ValidationError(
                f"Choose another name: “{name}” is the name of one of the integration's own "
                "schedules."
            )
        return name

    def clean_func(self):
        func = self.cleaned_data["func"]
        if problem := task_entry_point_problem(func):
            raise ValidationError(problem)
        return func

    def clean_hook(self):
        hook = self.cleaned_data["hook"] or None
        if hook is not None and (problem := task_entry_point_problem(hook)):
            raise ValidationError(problem)
        return hook

    def clean(self):
        cleaned = super().clean()
        func = self._value("func")
        if func in task_entry_points():  # otherwise clean_func has said why
            schedule_arguments_check(
                func=func,
                args=self._value("args") or "",
                kwargs=self._value("kwargs") or "",
                date_kwarg=self._value("intended_date_kwarg") or "",
            )
        if self.instance.name in SCHEDULES and self._value("schedule_type") == Schedule.ONCE:
            self.add_error(
                "schedule_type",
                "Keep this schedule repeating (a Once schedule is deleted after its run); to "
                "pause it, set Repeats to 0.",
            )
        return cleaned

    def _value(self, field: str):
        """The field as submitted, or as stored where the admin shows it read-only."""
        if field in self.fields:
            return self.cleaned_data.get(field)
        return getattr(self.instance, field)
