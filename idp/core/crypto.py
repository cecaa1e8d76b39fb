"""Encryption at rest for identity numbers, and keyed blind indexes to look them up.

One 32-byte master key (IDP_DATA_KEY, base64) yields two independent subkeys through HKDF:
encryption key version 1 (AES-256-GCM) and the HMAC-SHA256 key of blind indexes and digests.
Newer encryption keys are added as IDP_ENCRYPTION_KEYS (`2:<base64 32 bytes>,3:…`); the
highest version encrypts, every listed version still decrypts, and `manage.py reencrypt`
moves every stored value to the newest (docs/operators.md, "Rotating keys"). The index key
does not rotate: blind indexes, OIDC subjects and client-secret digests must stay stable.

Stored form: `v2:<version>:` + base64(nonce ‖ ciphertext ‖ tag), sealed with associated data
naming the table, column and row (EncryptedTextField), so a ciphertext copied to another row
or column no longer decrypts. `v1:` values (one key, no binding) are still read until
`reencrypt` has rewritten them.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_LEGACY = "v1:"
_PREFIX = "v2:"


class UndecryptableError(ValueError):
    """The value was not sealed for this place with any key we hold (moved, tampered, or a
    key missing from IDP_ENCRYPTION_KEYS)."""


@lru_cache(maxsize=16)
def _derive(master_b64: str, purpose: str) -> bytes:
    """The subkey of IDP_DATA_KEY for `purpose` (HKDF-SHA256, info "idp <purpose>")."""
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured("IDP_DATA_KEY must be base64") from None
    if len(master) != 32:
        raise ImproperlyConfigured("IDP_DATA_KEY must decode to 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"idp {purpose}".encode()).derive(master)


def _subkeys(master_b64: str) -> tuple[bytes, bytes]:
    return _derive(master_b64, "field encryption"), _derive(master_b64, "blind index")


def _keys() -> tuple[bytes, bytes]:
    return _subkeys(settings.IDP_DATA_KEY)


@lru_cache(maxsize=4)
def _parse_encryption_keys(extra: str) -> dict[int, bytes]:
    keys = {}
    for entry in filter(None, (part.strip() for part in extra.split(","))):
        version, _, key_b64 = entry.partition(":")
        try:
            key = base64.b64decode(key_b64, validate=True)
            number = int(version)
        except ValueError:
            raise ImproperlyConfigured("IDP_ENCRYPTION_KEYS: each entry is <version>:<base64 32 bytes>") from None
        if number < 2 or len(key) != 32:
            raise ImproperlyConfigured("IDP_ENCRYPTION_KEYS: versions start at 2; keys are 32 bytes")
        keys[number] = key
    return keys


def encryption_keys() -> dict[int, bytes]:
    """Every encryption key by version: 1 from IDP_DATA_KEY, then IDP_ENCRYPTION_KEYS."""
    return {1: _keys()[0], **_parse_encryption_keys(settings.IDP_ENCRYPTION_KEYS)}


def current_version() -> int:
    return max(encryption_keys())


def encrypt(plaintext: str, *, aad: str) -> str:
    """Seal `plaintext` for the place named by `aad` (table.column:row) with the newest key."""
    keys = encryption_keys()
    version = max(keys)
    nonce = os.urandom(12)
    sealed = AESGCM(keys[version]).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{_PREFIX}{version}:" + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, *, aad: str) -> str:
    try:
        if token.startswith(_LEGACY):
            raw, key, associated = base64.b64decode(token[len(_LEGACY):]), encryption_keys()[1], b"idp"
        elif token.startswith(_PREFIX):
            version, _, body = token[len(_PREFIX):].partition(":")
            raw, key, associated = base64.b64decode(body), encryption_keys()[int(version)], aad.encode()
        else:
            raise ValueError("unknown ciphertext format")
        return AESGCM(key).decrypt(raw[:12], raw[12:], associated).decode()
    except (InvalidTag, KeyError, ValueError) as error:
        raise UndecryptableError(f"cannot decrypt the value stored for {aad}") from error


def is_sealed(value: str) -> bool:
    return value.startswith((_PREFIX, _LEGACY))


def is_current(token: str) -> bool:
    """Whether `token` is sealed, bound to its place, with the newest key (reencrypt skips it)."""
    return token.startswith(f"{_PREFIX}{current_version()}:")


def blind_index(kind: str, normalised_value: str) -> str:
    """HMAC of `kind:value`; equal documents give equal indexes, nothing else can be read."""
    message = f"{kind}:{normalised_value}".encode()
    return hmac.new(_keys()[1], message, hashlib.sha256).hexdigest()


def purpose_key(purpose: str) -> bytes:
    """A key of its own for one purpose (HKDF of IDP_DATA_KEY), e.g. the audit chain's HMAC."""
    return _derive(settings.IDP_DATA_KEY, purpose)


def keyed_digest(value: str) -> str:
    """HMAC for short secrets kept only to compare against (one-time codes)."""
    return hmac.new(_keys()[1], b"digest:" + value.encode(), hashlib.sha256).hexdigest()
