"""The QuickBooks page says how the company's country, sales tax and numbering are handled."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

US_AST = [
    "Automated sales tax: QuickBooks calculates it",
    "Distru marks every line non-taxable and sends a sales tax of 0",
    "Off: QuickBooks numbers invoices and credit memos itself",
    "Turn on Custom transaction numbers in QuickBooks",
]
US_NO_TAX = [
    "United States",
    "QuickBooks adds no tax; Distru&#x27;s own taxes are lines of their own.",
    "Invoices and returns keep their Distru numbers in QuickBooks.",
]
CANADA = [
    "This QuickBooks company is in Canada: Distru sends it customers, vendors and items, but "
    "no invoices, payments, returns or bills.",
    "Enter those documents in QuickBooks yourself, or connect a US company",
    "Not supported for documents",
]


@pytest.mark.parametrize(
    ("qbo_seed", "said", "not_said"),
    [("us-ast", US_AST, ["This QuickBooks company is in"]),
     ("sample", US_NO_TAX, ["Turn on Custom transaction numbers", "This QuickBooks company is in"]),
     ("canada", CANADA, ["marks every line non-taxable"])],
    indirect=["qbo_seed"],
)  # fmt: skip
def test_the_page_states_what_distru_does_for_this_company(
    qbo_seed, chart, admin_client, said, not_said
):
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    for text in said:
        assert text in page
    for text in not_said:
        assert text not in page
