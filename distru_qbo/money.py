"""Exact money: Decimal everywhere, rounded half-up to the cent once per line."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half-up, as invoices and QBO lines are rounded."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(base: Decimal, rate_percent: Decimal) -> Decimal:
    """`rate_percent` of `base` (15 means 15%), rounded to the cent."""
    return round_cents(Decimal(base) * Decimal(rate_percent) / Decimal(100))


def money_total(queryset, field: str) -> Decimal:
    """The sum of a money column over a queryset; zero when there are no rows."""
    return queryset.aggregate(total=Sum(field))["total"] or ZERO
