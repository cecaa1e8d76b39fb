"""Encryption at rest for identity numbers, and keyed blind indexes to look them up — in one of
two suites, IDP_CRYPTO_SUITE:

- `international`: AES-256-GCM envelopes, HMAC-SHA256 blind indexes and digests, HKDF-SHA256 subkeys;
- `gm` (国密, GB/T 39786): SM4-GCM envelopes, HMAC-SM3 blind indexes and digests, HKDF-SM3 subkeys.

One 32-byte master key (IDP_DATA_KEY, base64) yields the subkeys through HKDF (of the suite's
hash): the encryption key of version 1 and the HMAC key of blind indexes and digests. Newer
encryption keys are added as IDP_ENCRYPTION_KEYS (`2:<base64 32 bytes>,3:…`); the highest version
encrypts, every listed version still decrypts, and `manage.py reencrypt` moves every stored value
to the newest key of the current suite, rebuilding the blind indexes with it (docs/operators.md,
"Rotating keys" and "Changing the crypto suite"). Both suites are read at all times, so a platform
serves throughout a move; look-ups ask for either suite's index (`blind_indexes`), and digests
of either suite are accepted (`digest_matches`), since a digest cannot be rebuilt without its secret.

Stored forms, each sealed with associated data naming the table, column and row
(EncryptedTextField), so a ciphertext copied to another row or column no longer decrypts:
`v2:<version>:` + base64(nonce ‖ ciphertext ‖ tag) is AES-GCM; `v3:sm4:<version>:` + the same is
SM4-GCM. `v1:` values (one key, no binding) are still read until `reencrypt` has rewritten them.

Identifiers handed to business systems (OIDC subjects, SAML persistent NameIDs) are not protection
but names: `identifier()` keeps them HMAC-SHA256 under the first index key in both suites, for
changing them would detach every person from every business system.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from idp.core import gm

_LEGACY = "v1:"
_PREFIX = "v2:"  # AES-256-GCM
_SM4_PREFIX = "v3:sm4:"  # SM4-GCM
INTERNATIONAL, GM = "international", "gm"
SUITES = (INTERNATIONAL, GM)


class UndecryptableError(ValueError):
    """The value was not sealed for this place with any key we hold (moved, tampered, or a
    key missing from IDP_ENCRYPTION_KEYS)."""


def suite() -> str:
    return settings.IDP_CRYPTO_SUITE


def _master(master_b64: str) -> bytes:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured("IDP_DATA_KEY must be base64") from None
    if len(master) != 32:
        raise ImproperlyConfigured("IDP_DATA_KEY must decode to 32 bytes")
    return master


@lru_cache(maxsize=32)
def _hkdf(key: bytes, info: str, crypto_suite: str, length: int = 32) -> bytes:
    """HKDF (RFC 5869) of the suite's hash: SHA-256, or SM3 under gm."""
    algorithm = hashes.SM3() if crypto_suite == GM else hashes.SHA256()
    return HKDF(algorithm=algorithm, length=length, salt=None, info=info.encode()).derive(key)


@lru_cache(maxsize=32)
def _derive(master_b64: str, purpose: str, crypto_suite: str = INTERNATIONAL) -> bytes:
    """The subkey of IDP_DATA_KEY for `purpose` (info "idp <purpose>")."""
    return _hkdf(_master(master_b64), f"idp {purpose}", crypto_suite)


def _index_key(crypto_suite: str) -> bytes:
    return _derive(settings.IDP_DATA_KEY, "blind index", crypto_suite)


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
    """Every AES encryption key by version: 1 from IDP_DATA_KEY, then IDP_ENCRYPTION_KEYS."""
    first = _derive(settings.IDP_DATA_KEY, "field encryption")
    return {1: first, **_parse_encryption_keys(settings.IDP_ENCRYPTION_KEYS)}


def _sm4_key(version: int) -> bytes:
    """The SM4 key (128 bits) of a version: HKDF-SM3 of that version's key material."""
    material = _master(settings.IDP_DATA_KEY) if version == 1 else _parse_encryption_keys(
        settings.IDP_ENCRYPTION_KEYS)[version]
    return _hkdf(material, "idp field encryption sm4", GM, 16)


def current_version() -> int:
    return max(encryption_keys())


def _current_prefix() -> str:
    return f"{_SM4_PREFIX if suite() == GM else _PREFIX}{current_version()}:"


def encrypt(plaintext: str, *, aad: str) -> str:
    """Seal `plaintext` for the place named by `aad` (table.column:row) with the newest key of the suite."""
    nonce = os.urandom(12)
    if suite() == GM:
        encryptor = Cipher(algorithms.SM4(_sm4_key(current_version())), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad.encode())
        sealed = encryptor.update(plaintext.encode()) + encryptor.finalize() + encryptor.tag
    else:
        sealed = AESGCM(encryption_keys()[current_version()]).encrypt(nonce, plaintext.encode(), aad.encode())
    return _current_prefix() + base64.b64encode(nonce + sealed).decode()


def _sm4_open(version: int, raw: bytes, aad: bytes) -> bytes:
    if len(raw) < 12 + 16:
        raise ValueError("too short")
    decryptor = Cipher(algorithms.SM4(_sm4_key(version)), modes.GCM(raw[:12], raw[-16:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(raw[12:-16]) + decryptor.finalize()


def decrypt(token: str, *, aad: str) -> str:
    try:
        if token.startswith(_LEGACY):
            raw = base64.b64decode(token[len(_LEGACY):])
            return AESGCM(encryption_keys()[1]).decrypt(raw[:12], raw[12:], b"idp").decode()
        if token.startswith(_SM4_PREFIX):
            version, _, body = token[len(_SM4_PREFIX):].partition(":")
            return _sm4_open(int(version), base64.b64decode(body), aad.encode()).decode()
        if token.startswith(_PREFIX):
            version, _, body = token[len(_PREFIX):].partition(":")
            raw = base64.b64decode(body)
            return AESGCM(encryption_keys()[int(version)]).decrypt(raw[:12], raw[12:], aad.encode()).decode()
        raise ValueError("unknown ciphertext format")
    except (InvalidTag, KeyError, ValueError) as error:
        raise UndecryptableError(f"cannot decrypt the value stored for {aad}") from error


def is_sealed(value: str) -> bool:
    return value.startswith((_PREFIX, _LEGACY, _SM4_PREFIX))


def is_current(token: str) -> bool:
    """Whether `token` is sealed, bound to its place, with the newest key of the suite (reencrypt skips it)."""
    return token.startswith(_current_prefix())


def _hmac(crypto_suite: str, key: bytes, message: bytes) -> str:
    if crypto_suite == GM:
        return gm.hmac_sm3(key, message).hex()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _other(crypto_suite: str) -> str:
    return GM if crypto_suite == INTERNATIONAL else INTERNATIONAL


def blind_index(kind: str, normalised_value: str, crypto_suite: str | None = None) -> str:
    """Keyed HMAC of `kind:value` (the suite's); equal documents give equal indexes, nothing else can be read."""
    crypto_suite = crypto_suite or suite()
    return _hmac(crypto_suite, _index_key(crypto_suite), f"{kind}:{normalised_value}".encode())


def blind_indexes(kind: str, normalised_value: str) -> list[str]:
    """The index in the current suite, then in the other: what a look-up asks for while
    `reencrypt` moves stored rows from one to the other."""
    return [blind_index(kind, normalised_value, s) for s in (suite(), _other(suite()))]


def identifier(kind: str, value: str) -> str:
    """A stable pseudonymous name (HMAC-SHA256, in both suites): subjects, NameIDs, device keys."""
    return _hmac(INTERNATIONAL, _index_key(INTERNATIONAL), f"{kind}:{value}".encode())


def purpose_key(purpose: str, crypto_suite: str | None = None) -> bytes:
    """A key of its own for one purpose (HKDF of IDP_DATA_KEY in the suite's hash), e.g. the audit chain's."""
    return _derive(settings.IDP_DATA_KEY, purpose, crypto_suite or suite())


def keyed_digest(value: str, crypto_suite: str | None = None) -> str:
    """HMAC for short secrets kept only to compare against (one-time codes, client secrets)."""
    crypto_suite = crypto_suite or suite()
    return _hmac(crypto_suite, _index_key(crypto_suite), b"digest:" + value.encode())


def keyed_digests(value: str) -> list[str]:
    """The digest in either suite (a stored digest cannot be rebuilt without its secret)."""
    return [keyed_digest(value, s) for s in (suite(), _other(suite()))]


def digest_matches(stored: str, value: str) -> bool:
    """Whether `stored` is the digest of `value`: in the current suite, else in the other (a client
    secret's digest made before a change of suite). Each comparison is constant time."""
    return any(hmac.compare_digest(stored, keyed_digest(value, s)) for s in (suite(), _other(suite())))
