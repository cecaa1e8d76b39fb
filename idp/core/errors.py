"""The one way a domain service says no.

A service refuses by raising a `Refused` (each app names its own subclass, so a caller can
catch just that app's refusals): `str()` is the sentence the person reads, in their language;
`field` the form field it belongs to, if any; `code` a stable word for programs and tests.
Views show the sentence on that field, or above the form — and never need to know which
service refused. Programming errors stay ordinary exceptions.
"""


class Refused(Exception):
    def __init__(self, message: str, field: str | None = None, *, code: str = ""):
        super().__init__(message)
        self.message, self.field, self.code = str(message), field, code

    def __str__(self) -> str:
        return self.message
