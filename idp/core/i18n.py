"""Which language a text is written in.

- A page is in the reader's language (core/middleware.LanguageMiddleware).
- A message sent to someone — an SMS after a review, a code by SMS or e-mail — is in the
  recipient's language: an account's `language` (the one they last used here), an appeal's, or
  the requester's when a code is asked for; never the language of whoever caused it.
- Text kept in the database is in the source language, Chinese, whoever caused it: written
  inside `source_language()`, shown with the `as_read` template filter
  (core/templatetags/stored_text.py), which translates it for the reader. Parts of one stored
  text are joined with PART_SEPARATOR, so each is translated on its own.
"""

from django.conf import settings
from django.utils import translation

PART_SEPARATOR = "；"


def source_language():
    """`with source_language(): …` — gettext answers in the platform's source language."""
    return translation.override(settings.LANGUAGE_CODE)
