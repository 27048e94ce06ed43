"""QBO classes are a read-only mirror: they are created in QuickBooks, never here."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_changelist_has_no_add_button_and_says_classes_come_from_quickbooks(admin_client):
    factories.QboClassFactory(name="East")

    response = admin_client.get(reverse("admin:integrations_qboclass_changelist"))

    html = response.content.decode()
    assert "Classes are created in QuickBooks." in html
    assert reverse("admin:integrations_qboclass_add") not in html
    assert not response.context["cl"].model_admin.get_actions(response.wsgi_request)


def test_a_class_cannot_be_added_changed_or_deleted(admin_client):
    qbo_class = factories.QboClassFactory(name="East")

    assert admin_client.get(reverse("admin:integrations_qboclass_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:integrations_qboclass_change", args=[qbo_class.pk]), {"name": "West"}
    )
    assert response.status_code == 403
    response = admin_client.post(
        reverse("admin:integrations_qboclass_delete", args=[qbo_class.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    qbo_class.refresh_from_db()
    assert qbo_class.name == "East"


def test_the_class_page_is_view_only(admin_client):
    qbo_class = factories.QboClassFactory(name="East")

    response = admin_client.get(reverse("admin:integrations_qboclass_change", args=[qbo_class.pk]))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
