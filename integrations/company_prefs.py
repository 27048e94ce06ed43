"""What the connected company's country, sales tax and numbering mean for what Distru sends.

The rules and their sources are in integrations/sandbox/README.md, "Sales tax and company
country"; how taxes reach QuickBooks for each kind of company is in README.md.
"""

from dataclasses import dataclass

from integrations.models import QboConnection
from integrations.outbox.registry import PushRefused

US = "US"
COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "AU": "Australia"}


def outside_us(connection: QboConnection) -> bool:
    """A company known to be outside the US (an unread country counts as the US, as before)."""
    return connection.country not in ("", US)


def adds_sales_tax(connection: QboConnection) -> bool:
    """Whether QBO would add sales tax of its own to the lines Distru sends."""
    return connection.sales_tax_enabled and not outside_us(connection)


def sales_tax_fields(body: dict, connection: QboConnection) -> dict:
    """Mark a sales form's lines non-taxable and its sales tax zero, where QBO would add some.

    Distru's own taxes (Excise Tax) are lines of their own, so QBO's total equals ours. A
    company without sales tax gets neither field: QBO marks its lines NON by itself.
    """
    if adds_sales_tax(connection):
        for line in body["Line"]:
            line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "NON"}
        body["TxnTaxDetail"] = {"TotalTax": 0}
    return body


def qbo_keeps_sent_numbers(connection: QboConnection) -> bool:
    """Whether QBO keeps the DocNumber of a sales form sent from here, or numbers it itself.

    Intuit: "If Preferences:CustomTxnNumber is false then do not send a value as it can lead to
    unwanted duplicates" (Invoice reference, DocNumber).
    """
    return connection.custom_txn_numbers


def doc_number(connection: QboConnection, number: str) -> dict:
    """{"DocNumber": number} when QBO keeps sent numbers, else nothing: QBO numbers it itself."""
    return {"DocNumber": number} if qbo_keeps_sent_numbers(connection) else {}


def documents_check(connection: QboConnection) -> None:
    """Refuse a document QBO outside the US would refuse (6000, no GST/HST/VAT code on a line)."""
    if outside_us(connection):
        raise PushRefused(
            "Enter it in QuickBooks yourself, or connect a US QuickBooks company: Distru sends "
            "no invoices, returns or bills to a QuickBooks company outside the US (this one is "
            f"in {country_name(connection)}), where every line needs a GST/HST or VAT code "
            "that Distru's taxes are not tied to. Customers, vendors and items still sync."
        )


def country_name(connection: QboConnection) -> str:
    """The company's country in words ("Canada"), or its code when we have no name for it."""
    return COUNTRY_NAMES.get(connection.country, connection.country or "not read yet")


@dataclass(frozen=True)
class CompanySetting:
    """One line of the QuickBooks page: a setting of the company, and what Distru does about it."""

    label: str
    value: str
    effect: str
    supported: bool = True


def company_settings(connection: QboConnection) -> list[CompanySetting]:
    """The country, sales tax and numbering of the company, in plain words."""
    return [_country(connection), _sales_tax(connection), _numbers(connection)]


NO_DOCUMENTS = "Distru sends no documents to this company, so this does not apply."


def _country(connection: QboConnection) -> CompanySetting:
    if not outside_us(connection):
        return CompanySetting("Country", country_name(connection), "Supported.")
    return CompanySetting(
        "Country",
        country_name(connection),
        "Not supported for documents: QuickBooks there needs a GST/HST or VAT code on every "
        "line. Customers, vendors and items sync; invoices, payments, returns and bills are "
        "not sent, and each says so on the QuickBooks status.",
        supported=False,
    )


def _sales_tax(connection: QboConnection) -> CompanySetting:
    on = "On" if connection.sales_tax_enabled else "Off"
    if outside_us(connection):
        return CompanySetting("Sales tax", on, NO_DOCUMENTS)
    if not adds_sales_tax(connection):
        return CompanySetting(
            "Sales tax", on, "QuickBooks adds no tax; Distru's own taxes are lines of their own."
        )
    return CompanySetting(
        "Sales tax",
        "Automated sales tax: QuickBooks calculates it" if connection.automated_sales_tax else on,
        "Distru marks every line non-taxable and sends a sales tax of 0, so QuickBooks adds "
        "none: Distru's own taxes, such as Excise Tax, are lines of their own, and QuickBooks' "
        "totals equal Distru's.",
    )


def _numbers(connection: QboConnection) -> CompanySetting:
    label = "Custom transaction numbers"
    if connection.custom_txn_numbers:
        value, effect = "On", "Invoices and returns keep their Distru numbers in QuickBooks."
    else:
        value = "Off: QuickBooks numbers invoices and credit memos itself"
        effect = (
            "Turn on Custom transaction numbers in QuickBooks (Account and settings → Sales → "
            "Sales form content) to keep Distru's numbers. Until then Distru sends none, as "
            "Intuit advises, so the numbers in QuickBooks differ from Distru's. The change is "
            "read within the hour, or at once with Refresh accounts from QuickBooks."
        )
    return CompanySetting(label, value, NO_DOCUMENTS if outside_us(connection) else effect)
