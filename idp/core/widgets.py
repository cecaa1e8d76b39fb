"""Form widgets that read the same in every browser and language."""

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_PLACEHOLDER = _("例如 2026-12-01")
DATE_ATTRS = {"placeholder": DATE_PLACEHOLDER, "inputmode": "numeric", "pattern": r"\d{4}-\d{1,2}-\d{1,2}",
              "autocomplete": "off", "class": "date-input", "maxlength": "10"}


def date_input() -> forms.DateInput:
    """A date typed as 2026-12-01: a text box, not the browser's own date control, whose layout
    and language differ from one browser to the next."""
    return forms.DateInput(attrs=dict(DATE_ATTRS), format="%Y-%m-%d")
