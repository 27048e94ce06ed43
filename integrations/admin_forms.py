"""Admin forms of the QBO mirror."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from integrations.models import QboClass, QboItem


class QboItemAdminForm(forms.ModelForm):
    """An item as QBO will accept it: a name QBO allows, of at most 100 characters, not taken.

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
