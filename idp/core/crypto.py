"""Encryption at rest for identity numbers, and keyed blind indexes to look them up.

One 32-byte master key (IDP_DATA_KEY, base64) yields two independent subkeys through
HKDF: one for AES-256-GCM encryption, one for the HMAC-SHA256 blind index. The stored
ciphertext is `v1:` + base64(nonce ‖ ciphertext ‖ tag), so the format can be rotated later.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PREFIX = "v1:"


@lru_cache(maxsize=4)
def _subkeys(master_b64: str) -> tuple[bytes, bytes]:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured("IDP_DATA_KEY must be base64") from None
    if len(master) != 32:
        raise ImproperlyConfigured("IDP_DATA_KEY must decode to 32 bytes")

    def derive(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)

    return derive(b"idp field encryption"), derive(b"idp blind index")


def _keys() -> tuple[bytes, bytes]:
    return _subkeys(settings.IDP_DATA_KEY)


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode(), b"idp")
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise ValueError("unknown ciphertext format")
    raw = base64.b64decode(token[len(_PREFIX):])
    return AESGCM(_keys()[0]).decrypt(raw[:12], raw[12:], b"idp").decode()


def blind_index(kind: str, normalised_value: str) -> str:
    """HMAC of `kind:value`; equal documents give equal indexes, nothing else can be read."""
    message = f"{kind}:{normalised_value}".encode()
    return hmac.new(_keys()[1], message, hashlib.sha256).hexdigest()


def keyed_digest(value: str) -> str:
    """HMAC for short secrets kept only to compare against (one-time codes)."""
    return hmac.new(_keys()[1], b"digest:" + value.encode(), hashlib.sha256).hexdigest()
