from django.db.models.lookups import In


class AnyOf(In):
    """`field__any_of=[…]`: `IN (…)` everywhere, `= ANY(%s)` with one array parameter on
    PostgreSQL — far cheaper to send and plan for the thousands of values of a batch."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))
