"""Validators for values QBO constrains, shared by every form that feeds one."""

from django.core.exceptions import ValidationError

LINE_BREAKS_AND_TABS = "\t\n\r"


def qbo_name_validator(value: str) -> None:
    """Refuse a name QBO would refuse (fault 2040): one holding a colon, a tab or a line break.

    QBO joins a sub-customer or sub-item to its parent with ':' in FullyQualifiedName, and
    Intuit's Customer and Vendor pages forbid tabs and newlines in names. Customers, vendors,
    items and taxes (which travel as items named after them) all become QBO names.
    """
    if ":" in value:
        raise ValidationError(
            "Remove the “:” from the name: QuickBooks reads a colon as the separator between a "
            "parent and its sub-item or sub-customer, so it refuses one in a name.",
            code="colon",
        )
    if any(character in value for character in LINE_BREAKS_AND_TABS):
        raise ValidationError(
            "Remove the tab or line break from the name: QuickBooks refuses them in names.",
            code="line_break",
        )
