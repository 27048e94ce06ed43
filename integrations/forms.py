from calendar import monthrange
from datetime import date

from django import forms

from integrations.models import QboAccount, SyncJob
from integrations.services.key_accounts import KEY_ACCOUNT_SLOTS, key_account_problem


class KeyAccountsForm(forms.Form):
    """Four selects that offer only the right AccountType, and re-check it on the server."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = list(QboAccount.objects.order_by("fully_qualified_name", "name"))
        self.missing_types = []
        for slot in KEY_ACCOUNT_SLOTS:
            offered = [a for a in accounts if a.account_type == slot.account_type and a.active]
            # Validation looks the id up among all accounts so that a wrong pick is named.
            field = forms.ModelChoiceField(
                queryset=QboAccount.objects.all(),
                required=False,
                label=slot.label,
                help_text=f"A QuickBooks {slot.account_type} account.",
                error_messages={
                    "invalid_choice": (
                        f"The account chosen for {slot.label} no longer exists in QuickBooks. "
                        "Refresh accounts from QuickBooks and choose again."
                    )
                },
            )
            field.choices = [("", "— Choose an account —")] + [(a.pk, str(a)) for a in offered]
            self.fields[slot.field] = field
            if not offered:
                self.missing_types.append(slot)

    def clean(self):
        cleaned = super().clean()
        for slot in KEY_ACCOUNT_SLOTS:
            account = cleaned.get(slot.field)
            if account is not None and (problem := key_account_problem(slot, account)):
                self.add_error(slot.field, problem)
        if not self.errors and not any(cleaned.get(slot.field) for slot in KEY_ACCOUNT_SLOTS):
            raise forms.ValidationError(
                "Choose at least one account, then save: nothing was chosen, so nothing was saved.",
                code="nothing_chosen",
            )
        return cleaned


class OutboxRetryForm(forms.Form):
    """*Retry* names one failed push by its job id; *Retry all* names none."""

    job = forms.ModelChoiceField(queryset=SyncJob.objects.all(), required=False)


class BackfillForm(forms.Form):
    """The first day a backfill sends: YYYY-MM-DD, as a browser's date picker sends it."""

    since = forms.DateField(
        label="Send documents dated on or after",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Choose the first day to send, then start the backfill.",
            "invalid": "Choose the first day as year, month and day, such as 2025-01-01.",
        },
    )


class ReconciliationMonthForm(forms.Form):
    """The month the reconciliation page compares: YYYY-MM, as a browser's month picker sends."""

    month = forms.DateField(
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={
            "required": "Choose a month to compare.",
            "invalid": "Choose a month as year and month, such as 2026-10.",
        },
    )

    def period(self) -> tuple[date, date]:
        """The first and the last day of the month chosen."""
        first = self.cleaned_data["month"]
        return first, first.replace(day=monthrange(first.year, first.month)[1])
