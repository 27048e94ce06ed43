"""Forms of the product admin."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from integrations.models import QboItem
from products.models import Product
from products.selectors import MAPPING_FIELDS


class _ItemIdField(forms.ModelChoiceField):
    """An item chosen by id: the form, not the field, loads it, so both sides cost one query."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ProductMappingForm(forms.Form):
    """The Sales item, the Purchase item or both, to map many products to at once."""

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        for field_name in MAPPING_FIELDS.values():
            model_field = Product._meta.get_field(field_name)
            label = model_field.verbose_name.capitalize()
            self.fields[field_name] = _ItemIdField(
                queryset=QboItem.objects.filter(active=True),
                required=False,
                label=label,
                help_text=f"Leave empty to keep each product's {label}.",
                widget=AutocompleteSelect(model_field, admin_site),
                error_messages={
                    "invalid_choice": "This item is no longer an active QBO item: pick another."
                },
            )

    def clean(self):
        cleaned = super().clean()
        picked = {
            name: cleaned[name] for name in MAPPING_FIELDS.values() if cleaned.get(name) is not None
        }
        if not picked:
            if not self.errors:
                raise ValidationError("Pick a Sales item, a Purchase item or both.")
            return cleaned
        items = QboItem.objects.filter(active=True).in_bulk(picked.values())
        for name, pk in picked.items():
            if pk in items:
                cleaned[name] = items[pk]
            else:
                self.add_error(name, self.fields[name].error_messages["invalid_choice"])
        return cleaned
