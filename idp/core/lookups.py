from django.db.models.lookups import In


class AnyOf(In):
    """`field__any_of=[…]`: `IN (…)` everywhere, `= ANY(%s)` with one array parameter on
    PostgreSQL — far cheaper to send and plan for the thousands of values of a batch."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        # The batches' keys are already the stored strings: preparing thousands of them one by
        # one through the field cost more than the query (make bench-migration).
        if all(isinstance(value, str) for value in self.rhs):
            return list(dict.fromkeys(self.rhs))
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))
