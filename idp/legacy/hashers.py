"""The legacy platform's password hashes, verified by Django's password framework ("密码不变").

`legacy_password()` turns a CONTRACT.md `password_hash` into the value stored in
Account.password; the hashers below verify it at login, and Django then re-hashes the
password with the preferred argon2id hasher (none of these is preferred, so must_update
holds). PBKDF2-SHA256 is stored exactly as the legacy platform wrote it: it is Django's
own format, verified by Django's PBKDF2PasswordHasher. Hashes are never logged or shown.

The three fast digests (unsalted MD5, salted MD5, SHA-256) are also kept wrapped: argon2id
over the legacy digest (`wrap_legacy_hashes`, Django's "password upgrading without requiring a
login"), so no fast digest stays in the database. Until an account is wrapped, a wrong password
against its fast digest costs one argon2id hash anyway, so a failed login takes as long for an
imported account as for any other.
"""

import hashlib
import hmac
import re

import bcrypt
from django.contrib.auth.hashers import BasePasswordHasher

from idp.accounts.hashers import Argon2idHasher

HEX32, HEX64 = re.compile(r"[0-9a-fA-F]{32}"), re.compile(r"[0-9a-fA-F]{64}")
BCRYPT = re.compile(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}")
PBKDF2 = re.compile(r"pbkdf2_sha256\$[1-9][0-9]{0,8}\$[^$]{1,128}\$[A-Za-z0-9+/]{43}=")
SALT = re.compile(r"[^$]{1,128}")


class InvalidLegacyHash(ValueError):
    """The password_hash is not one of the five formats (the message never contains it)."""


def legacy_password(value: str) -> str:
    """The Account.password value for a legacy `password_hash`, or InvalidLegacyHash."""
    kind, _, rest = value.strip().partition("$")
    if kind == "unsalted_md5" and HEX32.fullmatch(rest):
        return f"legacy_unsalted_md5$${rest.lower()}"
    if kind in ("md5", "sha256"):
        salt, _, digest = rest.partition("$")
        if SALT.fullmatch(salt) and (HEX32 if kind == "md5" else HEX64).fullmatch(digest):
            return f"legacy_{kind}${salt}${digest.lower()}"
    if kind == "bcrypt" and BCRYPT.fullmatch(rest):
        return f"legacy_bcrypt${rest}"
    if kind == "pbkdf2_sha256" and PBKDF2.fullmatch(value.strip()):
        return value.strip()
    raise InvalidLegacyHash("unknown or malformed password hash")


class _LegacyHasher(BasePasswordHasher):
    """Verify-only: the platform never makes these hashes, it only accepts them once."""

    def salt(self):
        return ""

    def encode(self, password, salt):
        raise NotImplementedError("legacy hashes are only verified, never created")

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def safe_summary(self, encoded):
        return {"algorithm": self.algorithm, "hash": "********"}


class _FastDigestHasher(_LegacyHasher):
    """A fast legacy digest: `digest(salt, password)` is the hex string the platform stored."""

    def digest(self, salt: str, password: str) -> str:
        raise NotImplementedError

    def verify(self, password, encoded):
        parts = self.decode(encoded)
        if hmac.compare_digest(self.digest(parts["salt"], password), parts["hash"]):
            return True
        Argon2idHasher().encode(password, Argon2idHasher().salt())  # cost like any failed login
        return False

    def wrap(self, encoded: str) -> str:
        """The argon2id-wrapped form of a stored hash (no password needed)."""
        parts = self.decode(encoded)
        inner = Argon2idHasher().encode(parts["hash"], Argon2idHasher().salt())
        return f"argon2_{self.algorithm}${parts['salt']}${inner}"


class LegacyUnsaltedMD5Hasher(_FastDigestHasher):
    """`unsalted_md5$<hex>`: MD5(password)."""

    algorithm = "legacy_unsalted_md5"

    def digest(self, salt, password):
        return hashlib.md5(password.encode()).hexdigest()


class LegacySaltedMD5Hasher(_FastDigestHasher):
    """`md5$<salt>$<hex>`: MD5(salt + password)."""

    algorithm = "legacy_md5"

    def digest(self, salt, password):
        return hashlib.md5((salt + password).encode()).hexdigest()


class LegacySHA256Hasher(_FastDigestHasher):
    """`sha256$<salt>$<hex>`: SHA-256(salt + password)."""

    algorithm = "legacy_sha256"

    def digest(self, salt, password):
        return hashlib.sha256((salt + password).encode()).hexdigest()


class _WrappedHasher(_LegacyHasher):
    """`argon2_<legacy algorithm>$<legacy salt>$<argon2id of the legacy digest>`."""

    inner: type[_FastDigestHasher]

    def verify(self, password, encoded):
        parts = self.decode(encoded)  # hash: the argon2id encoding of the legacy digest
        return Argon2idHasher().verify(self.inner().digest(parts["salt"], password), parts["hash"])


class WrappedUnsaltedMD5Hasher(_WrappedHasher):
    algorithm, inner = "argon2_legacy_unsalted_md5", LegacyUnsaltedMD5Hasher


class WrappedSaltedMD5Hasher(_WrappedHasher):
    algorithm, inner = "argon2_legacy_md5", LegacySaltedMD5Hasher


class WrappedSHA256Hasher(_WrappedHasher):
    algorithm, inner = "argon2_legacy_sha256", LegacySHA256Hasher


FAST_DIGESTS = {h.algorithm: h for h in (LegacyUnsaltedMD5Hasher, LegacySaltedMD5Hasher, LegacySHA256Hasher)}


class LegacyBcryptHasher(_LegacyHasher):
    """`bcrypt$<$2a$/$2b$/$2y$…>`; $2y$ (PHP) is the same algorithm as $2b$."""

    algorithm = "legacy_bcrypt"

    def decode(self, encoded):
        algorithm, digest = encoded.split("$", 1)
        return {"algorithm": algorithm, "salt": "", "hash": digest}

    def verify(self, password, encoded):
        """bcrypt reads at most 72 bytes: the legacy library hashed the first 72 bytes of a
        longer password, and bcrypt 5 refuses longer input, so verify those 72 bytes. The
        login that follows re-hashes the whole password as typed (Django's check_password)."""
        digest = self.decode(encoded)["hash"]
        if digest.startswith("$2y$"):
            digest = "$2b$" + digest[4:]
        try:
            return bcrypt.checkpw(password.encode()[:72], digest.encode())
        except ValueError:
            return False
