"""The four key accounts: which QBO AccountType each needs, and what is wrong with a choice."""

from dataclasses import dataclass

from django.db import transaction

from integrations.models import QboAccount, QboConnection


@dataclass(frozen=True)
class KeyAccountSlot:
    field: str
    label: str
    account_type: str


KEY_ACCOUNT_SLOTS = [
    KeyAccountSlot("default_income_account", "Default Income", QboAccount.AccountType.INCOME),
    KeyAccountSlot(
        "default_expense_account", "Default Expense", QboAccount.AccountType.COST_OF_GOODS_SOLD
    ),
    KeyAccountSlot("sales_deposit_account", "Sales Deposit", QboAccount.AccountType.BANK),
    KeyAccountSlot("purchase_deposit_account", "Purchase Deposit", QboAccount.AccountType.BANK),
]


def _a(account_type: str) -> str:
    return f"{'an' if account_type[0] in 'AEIOU' else 'a'} {account_type}"


def key_account_problem(slot: KeyAccountSlot, account: QboAccount) -> str | None:
    """Why `account` cannot serve as `slot`, naming the account and the type it needs."""
    if account.account_type != slot.account_type:
        return (
            f"“{account.fully_qualified_name or account.name}” is {_a(account.account_type)} "
            f"account; {slot.label} needs {_a(slot.account_type)} account."
        )
    if not account.active:
        return (
            f"“{account.fully_qualified_name or account.name}” is inactive in QuickBooks; "
            f"{slot.label} needs an active {slot.account_type} account."
        )
    return None


def key_account_conflicts(connection: QboConnection) -> list[str]:
    """Mapped key accounts that were since inactivated or re-typed in QBO."""
    conflicts = []
    for slot in KEY_ACCOUNT_SLOTS:
        account = getattr(connection, slot.field)
        if account is not None and (problem := key_account_problem(slot, account)):
            conflicts.append(problem)
    return conflicts


@transaction.atomic
def key_accounts_set(
    *, connection: QboConnection, accounts: dict[str, QboAccount | None]
) -> list[KeyAccountSlot]:
    """Save the chosen key accounts, each already past `key_account_problem`; returns the
    slots whose account changed (none: nothing was written)."""
    changed = [
        slot
        for slot in KEY_ACCOUNT_SLOTS
        if getattr(connection, f"{slot.field}_id") != getattr(accounts.get(slot.field), "pk", None)
    ]
    for slot in changed:
        setattr(connection, slot.field, accounts.get(slot.field))
    if changed:
        connection.save(update_fields=[slot.field for slot in changed] + ["updated_at"])
    return changed
