"""Integer lookups treat an id beyond the column's range as matching nothing.

Django does this for `exact`, `gt`, `lt` and the like on integer fields since 5.0 (ticket
#27397), but not for `in`, nor for a foreign key compared by id, which the admin builds straight
from the request: an autocomplete select redrawing a refused choice, the selected rows of an
action, `in_bulk`, a changelist filtered on `?customer=`. A crafted id such as
99999999999999999999999 then made SQLite raise OverflowError: a 500 instead of "no such row".
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _beyond_the_column(lookup, connection, value) -> bool:
    field = lookup.lhs.output_field
    field = getattr(field, "target_field", field)  # a foreign key holds its target's ids
    if not isinstance(field, IntegerField) or not isinstance(value, int):
        return False
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is not None and value < low) or (high is not None and value > high)


class _InDropsIdsBeyondTheColumn:
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            self.rhs = [v for v in self.rhs if not _beyond_the_column(self, connection, v)]
        return super().process_rhs(compiler, connection)


@IntegerField.register_lookup
class IntegerFieldIn(_InDropsIdsBeyondTheColumn, In):
    pass


@ForeignObject.register_lookup
class RelatedIdIn(_InDropsIdsBeyondTheColumn, RelatedIn):
    pass


@ForeignObject.register_lookup
class RelatedIdExact(RelatedExact):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value() and _beyond_the_column(self, connection, self.rhs):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)
