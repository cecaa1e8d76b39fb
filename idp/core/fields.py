from django.db import models

from idp.core import crypto


class EncryptedTextField(models.TextField):
    """A text column stored AES-GCM encrypted; Python code sees the plaintext.

    It cannot be filtered on: look values up through a blind index column instead.
    """

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)
