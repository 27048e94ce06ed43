"""Database constraints whose violation a form shows as a sentence on the field it concerns.

Django reports a CHECK, or a unique constraint on an expression or with a condition, as a
form-wide "Constraint “…” is violated." These say what to do, on one field. Migrations hold
them as Django's own classes: where a form shows the error is no concern of the database.
"""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models


class _OnField:
    """Reports the constraint's violation on `violation_field`."""

    def __init__(self, *args, violation_field: str, **kwargs):
        self.violation_field = violation_field
        super().__init__(*args, **kwargs)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise
            raise ValidationError({self.violation_field: error.error_list}) from None

    def deconstruct(self):
        _, args, kwargs = super().deconstruct()
        django_class = next(
            cls for cls in type(self).__mro__ if cls.__module__ == models.constraints.__name__
        )
        return f"django.db.models.{django_class.__name__}", args, kwargs

    def clone(self):
        _, args, kwargs = self.deconstruct()
        return type(self)(*args, violation_field=self.violation_field, **kwargs)


class FieldCheckConstraint(_OnField, models.CheckConstraint):
    """A CHECK whose violation is a sentence on one field."""


class FieldUniqueConstraint(_OnField, models.UniqueConstraint):
    """A unique constraint whose violation is a sentence on one field."""
