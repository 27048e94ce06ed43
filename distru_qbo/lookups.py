"""`__in` on integer columns treats an id beyond the column's range as matching nothing.

Django does this for `exact`, `gt`, `lt` and the like since 5.0 (ticket #27397), but not for
`in`, which the admin uses with ids straight from the request: an autocomplete select
redrawing a refused choice, the selected rows of an action, `in_bulk`. A crafted id such as
99999999999999999999999 then made SQLite raise OverflowError, a 500 instead of "no such row".
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [value for value in self.rhs if not _beyond(value, low, high)]
        return super().process_rhs(compiler, connection)


def _beyond(value, low: int | None, high: int | None) -> bool:
    if not isinstance(value, int):
        return False
    return (low is not None and value < low) or (high is not None and value > high)
