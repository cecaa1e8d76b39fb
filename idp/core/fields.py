from django.db import models
from django.db.models.query_utils import DeferredAttribute

from idp.core import crypto


class Sealed(str):
    """A ciphertext as loaded from the database, decrypted when the attribute is read (the
    associated data names the row, which from_db_value does not know)."""


class _Decrypting(DeferredAttribute):
    """A data descriptor (it has __set__), so every read comes here, not to the instance dict."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = crypto.decrypt(value, aad=self.field.aad(instance))
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    """A text column stored AES-GCM encrypted and bound to its place; Python code sees the
    plaintext (core/crypto.py).

    `bind` names the attribute that identifies the row and is known before the first insert
    (e.g. `account_id`, a unique reference), so the associated data is `table.column:<value>`.
    It cannot be filtered on (look values up through a blind index column), and it is written
    only by save() / bulk_create(): a plaintext reaching the database any other way is refused.
    """

    descriptor_class = _Decrypting

    def __init__(self, *args, bind: str = "pk", **kwargs):
        self.bind = bind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.bind != "pk":
            kwargs["bind"] = self.bind
        return name, path, args, kwargs

    def aad(self, instance) -> str:
        return self.aad_for(getattr(instance, self.bind))

    def aad_for(self, row_key) -> str:
        return f"{self.model._meta.db_table}.{self.column}:{row_key}"

    def seal(self, plaintext: str, row_key) -> str:
        """The stored form of `plaintext` for the row `row_key` (for bulk writers such as COPY)."""
        return crypto.encrypt(plaintext, aad=self.aad_for(row_key)) if plaintext else plaintext

    def from_db_value(self, value, expression, connection):
        return Sealed(value) if value else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value in (None, ""):
            return value
        if getattr(model_instance, self.bind) is None:
            raise ValueError(f"{self.model.__name__}.{self.bind} must be set before {self.name} is saved")
        return crypto.encrypt(value, aad=self.aad(model_instance))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or crypto.is_sealed(value):
            return value
        raise ValueError(f"{self.name}: plaintext may only be written through save()")
