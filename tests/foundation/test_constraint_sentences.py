"""No database constraint reaches the user as "Constraint … is violated": each has a sentence
that says what to do, shown on the field it concerns."""

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F
from django.urls import reverse

from distru_qbo.constraints import FieldCheckConstraint, FieldUniqueConstraint
from integrations.models import QboItem, SyncJob
from sales.models import Invoice
from tests import factories
from tests.foundation.test_amount_limits import header, inline

pytestmark = pytest.mark.django_db

OUR_APPS = {"integrations", "products", "sales", "purchases"}
# On the row id alone, which no form edits: a sentence, but no field for it to sit on.
WITHOUT_A_FIELD = {"qboconnection_single_row"}


def our_constraints():
    for model in apps.get_models():
        if model._meta.app_label in OUR_APPS:
            for constraint in model._meta.constraints:
                yield model, constraint


@pytest.mark.parametrize(
    ("model", "constraint"), list(our_constraints()), ids=lambda value: getattr(value, "name", "")
)
def test_every_constraint_has_a_sentence_and_its_field(model, constraint):
    message = constraint.get_violation_error_message()
    assert "is violated" not in message and message[0].isupper() and message.endswith(".")
    if constraint.name not in WITHOUT_A_FIELD:
        assert isinstance(constraint, FieldCheckConstraint | FieldUniqueConstraint)
        assert constraint.violation_field in columns(constraint)


def columns(constraint) -> set[str]:
    """The fields a constraint reads."""
    if isinstance(constraint, CheckConstraint):
        return set(constraint.condition.referenced_base_fields)
    named = {node.name for expression in constraint.expressions for node in expression.flatten()
             if isinstance(node, F)}  # fmt: skip
    return set(constraint.fields) | named


def test_a_tax_charged_twice_on_one_document_is_refused_in_words(admin_client):
    tax, product = factories.TaxFactory(), factories.ProductFactory()
    data = {
        **header(Invoice),
        **inline("lines", [{"product": product.pk, "quantity": "1", "unit_price": "10"}]),
        **inline("tax_lines", [{"tax": tax.pk}, {"tax": tax.pk}]),
        **inline("payments", []),
    }

    response = admin_client.post(reverse("admin:sales_invoice_add"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Charge each tax once: this document already has a line for this tax." in page
    assert "Please correct the duplicate data" not in page and "is violated" not in page
    assert not Invoice.objects.exists()


def test_an_item_name_taken_but_for_case_is_a_sentence_on_the_name():
    factories.QboItemFactory(name="Distru Sales")
    with pytest.raises(ValidationError) as refused:
        QboItem(name="DISTRU SALES").validate_constraints()
    assert refused.value.message_dict == {
        "name": [
            "Choose another name: QuickBooks already has an item of this name (names are "
            "unique regardless of case)."
        ]
    }


def test_a_second_sync_job_for_a_record_is_a_sentence_on_the_record():
    customer = factories.CustomerFactory()
    job = {
        "content_type": ContentType.objects.get_for_model(customer),
        "object_id": str(customer.pk),
        "label": "x",
        "qbo_entity": "Customer",
        "request_id": "r",
    }
    SyncJob.objects.create(**job)
    with pytest.raises(ValidationError) as refused:
        SyncJob(**job).validate_constraints()
    assert list(refused.value.message_dict) == ["object_id"]
    assert refused.value.message_dict["object_id"][0].startswith("Retry this record's push")
