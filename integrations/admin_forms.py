"""Admin forms of the QBO mirror."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django_q.models import Schedule

from integrations.models import QboAccount, QboClass, QboItem
from integrations.schedules import (
    SCHEDULES,
    schedule_arguments_check,
    task_entry_point_problem,
    task_entry_points,
)
from integrations.selectors import MAPPING_SIDES, item_unfit_for

# The AccountTypes each of an item's posting accounts may have. Intuit's Item reference names
# one each (IncomeAccountRef "Sales of Product Income", an Income sub-type; ExpenseAccountRef
# "Cost of Goods Sold"); Intuit's own .NET SDK tests post items to an Income and an Expense
# account; the Other kinds complete each side (sources and choice: the sandbox README, "Item
# accounts").
ITEM_ACCOUNT_TYPES = {
    "income_account": (QboAccount.AccountType.INCOME, QboAccount.AccountType.OTHER_INCOME),
    "expense_account": (
        QboAccount.AccountType.COST_OF_GOODS_SOLD,
        QboAccount.AccountType.EXPENSE,
        QboAccount.AccountType.OTHER_EXPENSE,
    ),
}


def _account_types_in_words(types) -> str:
    return f"{', '.join(types[:-1])} or {types[-1]}"


class QboItemAdminForm(forms.ModelForm):
    """An item as QBO will accept it: a name QBO allows, of at most 100 characters, not taken,
    and posting accounts that are active and of a type QBO takes for each.

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
        for name, types in ITEM_ACCOUNT_TYPES.items():
            if field := self.fields.get(name):  # absent where the integration sets it
                # Today's account stays offered: QBO gave it to an imported item, and clean
                # names what is wrong with it if it is inactive now.
                field.queryset = QboAccount.objects.filter(
                    Q(account_type__in=types, active=True)
                    | Q(pk=getattr(self.instance, f"{name}_id"))
                ).order_by("fully_qualified_name", "name")
                field.help_text = f"An active {_account_types_in_words(types)} account."
                field.error_messages["invalid_choice"] = (
                    f"Choose one of the accounts offered: QuickBooks takes an active "
                    f"{_account_types_in_words(types)} account here."
                )

    def clean(self):
        cleaned = super().clean()
        for name, types in ITEM_ACCOUNT_TYPES.items():
            account = cleaned.get(name)
            if account is not None and name in self.fields and not account.active:
                self.add_error(
                    name,
                    f"Choose an active account: “{account.fully_qualified_name or account.name}” "
                    f"is inactive in QuickBooks, which refuses an item posting to it. Offered "
                    f"here: the active {_account_types_in_words(types)} accounts.",
                )
        return cleaned

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


def item_picker_label(item: QboItem, *, mapping: str) -> str:
    """An item as a product's picker shows it: its name, its type and the account this side
    posts to (an item without one posts to the side's key account)."""
    side = MAPPING_SIDES[mapping]
    account = getattr(item, side.account_field)
    if account is None:
        posts_to = f"{side.account_label} account"
    else:
        posts_to = account.fully_qualified_name or account.name
    return f"{item.name} ({item.get_type_display()}, {posts_to})"


class QboItemPicker(AutocompleteSelect):
    """A product's Sales or Purchase item select: it searches the items that side may use
    (QboItemAdmin's picker view), each shown with its type and account."""

    url_name = "%s:integrations_qboitem_picker"


class QboItemPickerField(forms.ModelChoiceField):
    """A product's Sales or Purchase item: `mapping` names the side (a key of MAPPING_SIDES),
    and an item that side may not use is refused, saying why."""

    def __init__(self, *args, mapping: str, **kwargs):
        self.mapping = mapping
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return item_picker_label(obj, mapping=self.mapping)

    def validate(self, value):
        super().validate(value)
        if value is not None and (problem := item_unfit_for(value, mapping=self.mapping)):
            raise ValidationError(problem, code="unfit_item")


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
