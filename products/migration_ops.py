"""Data steps that the migrations of the apps holding priced documents share."""

from django.db import models
from django.db.migrations import RunPython

from products.models import largest


def computed_amounts_brought_in_range(app_label: str) -> RunPython:
    """A step that sets to 0.00 every computed amount beyond its column, before the CHECKs.

    Only SQLite can hold one (PostgreSQL's numeric refused it), left by a form that let a line
    overflow; without this step adding the CHECK would fail the migration. Nothing typed by a
    person changes: quantities and prices stay, and the amounts are recomputed from them at the
    next save, which the form then refuses until the line fits.
    """

    def bring_in_range(apps, schema_editor):
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.DecimalField) and not field.editable:
                    limit = largest(
                        {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
                    )
                    beyond = models.Q(**{f"{field.name}__gt": limit}) | models.Q(
                        **{f"{field.name}__lt": -limit}
                    )
                    model._default_manager.filter(beyond).update(**{field.name: 0})

    return RunPython(bring_in_range, RunPython.noop)
