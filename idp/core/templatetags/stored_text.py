"""Text the platform keeps in the database (a verification's reason, a change history's labels)
is written in its source language, Chinese, whoever caused it (core/i18n.py). `as_read` shows it
in the reader's language: each part ("；"-separated) is looked up in the catalogue; a part it has
no entry for (a reviewer's own words, a registry's answer) is shown as it was written."""

from django import template
from django.utils.translation import gettext

from idp.core.i18n import PART_SEPARATOR

register = template.Library()


@register.filter
def as_read(text) -> str:
    if not text:
        return ""
    return PART_SEPARATOR.join(gettext(part) for part in str(text).split(PART_SEPARATOR))
