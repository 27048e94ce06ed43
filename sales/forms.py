"""Settings → Taxes: every tax's QuickBooks account, chosen in one form."""

from django import forms
from django.db import transaction

from integrations.models import QboAccount
from products.forms import PaymentAdminForm
from sales.models import Tax
from sales.services import tax_item_name_holder

# A tax collected on invoices (and paid on bills) is owed to the state until it is remitted:
# a current liability, such as Excise Tax Payable.
TAX_ACCOUNT_TYPE = QboAccount.AccountType.OTHER_CURRENT_LIABILITY


def tax_account_problem(tax: Tax, account: QboAccount) -> str | None:
    """Why `account` cannot carry `tax`, naming the account and the type it needs."""
    name = account.fully_qualified_name or account.name
    if account.account_type != TAX_ACCOUNT_TYPE:
        return (
            f"“{name}” is a QuickBooks {account.account_type} account; {tax.name} needs an "
            f"{TAX_ACCOUNT_TYPE} account, such as Excise Tax Payable."
        )
    if not account.active:
        return (
            f"“{name}” is inactive in QuickBooks; {tax.name} needs an active "
            f"{TAX_ACCOUNT_TYPE} account."
        )
    return None


class TaxAccountsForm(forms.Form):
    """One select per tax, offering the active Other Current Liability accounts.

    The server looks a choice up among all accounts, so a wrong pick is named, and checks it
    again. Saving updates the taxes' rows only: nothing is sent to QuickBooks until a document
    that charges the tax is pushed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.taxes = list(Tax.objects.select_related("qbo_account").order_by("-active", "name"))
        self.offered = list(
            QboAccount.objects.filter(account_type=TAX_ACCOUNT_TYPE, active=True).order_by(
                "fully_qualified_name", "name"
            )
        )
        for tax in self.taxes:
            choices = [("", "— Not mapped —")] + [(a.pk, str(a)) for a in self.offered]
            current = tax.qbo_account
            if current is not None and current not in self.offered:
                # Still shown, so the page says what is mapped today and why it must change.
                choices.append((current.pk, f"{current} — no longer valid"))
            field = forms.ModelChoiceField(
                queryset=QboAccount.objects.all(),
                required=False,
                label=tax.name,
                initial=tax.qbo_account_id,
                error_messages={
                    "invalid_choice": (
                        f"The account chosen for {tax.name} no longer exists in QuickBooks. "
                        "Refresh the accounts from QuickBooks and choose again."
                    )
                },
            )
            field.choices = choices
            self.fields[self.field_name(tax)] = field

    @staticmethod
    def field_name(tax: Tax) -> str:
        return f"tax_{tax.pk}"

    def rows(self):
        """(tax, bound field, problem with today's mapping) for the template, in order."""
        for tax in self.taxes:
            current = tax.qbo_account
            problem = tax_account_problem(tax, current) if current is not None else None
            yield tax, self[self.field_name(tax)], problem

    def clean(self):
        cleaned = super().clean()
        for tax in self.taxes:
            name = self.field_name(tax)
            account = cleaned.get(name)
            if account is not None and (problem := tax_account_problem(tax, account)):
                self.add_error(name, problem)
        return cleaned

    @transaction.atomic
    def save(self) -> list[Tax]:
        """Store the changed mappings; returns the taxes whose account changed."""
        changed = []
        for tax in self.taxes:
            account = self.cleaned_data.get(self.field_name(tax))
            if tax.qbo_account_id != (account.pk if account else None):
                # A queryset update: no save() signal, so nothing is queued for QuickBooks.
                Tax.objects.filter(pk=tax.pk).update(qbo_account=account)
                tax.qbo_account = account
                changed.append(tax)
        return changed


class TaxAdminForm(forms.ModelForm):
    """The Tax admin checks its QBO account as Settings → Taxes does, and refuses a name that
    another QBO item holds (the tax's item takes its name)."""

    class Meta:
        model = Tax
        fields = ["name", "rate", "applies_to", "qbo_account", "active"]

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("qbo_account")
        if account is not None and "qbo_account" in self.fields:
            tax = Tax(name=cleaned.get("name") or "This tax")
            if problem := tax_account_problem(tax, account):
                self.add_error("qbo_account", problem)
        name = cleaned.get("name")
        if name and "name" in self.changed_data:
            if "qbo_account" not in self.fields:  # read-only for this user
                account = self.instance.qbo_account
            if holder := tax_item_name_holder(tax=self.instance, name=name, account=account):
                self.add_error(
                    "name",
                    f"Choose another name: QuickBooks already has an item named “{holder.name}”, "
                    "and a tax travels on invoices as an item of its own, named after it.",
                )
        return cleaned


class InvoicePaymentForm(PaymentAdminForm):
    """A payment received: at most what its invoice has open."""

    document_field = "invoice"
