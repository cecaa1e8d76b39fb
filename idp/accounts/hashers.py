from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """argon2id with the OWASP parameters m=19 MiB, t=2, p=1 (about 20–30 ms here).

    It keeps Django's `argon2` algorithm name: hashes made with other parameters still
    verify and are upgraded on the next login (must_update compares the parameters).
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


class Argon2idSM3PepperHasher(Argon2idHasher):
    """The 国密 suite's passwords (IDP_CRYPTO_SUITE=gm): argon2id stays the memory-hard core, over
    HMAC-SM3 of the password under a pepper held outside the database (a key derived from
    IDP_DATA_KEY — in production, the signing device's). A stolen database alone then gives an
    attacker nothing to guess against; an assessor finds SM3 in the path (GM/T 0091's HMAC-SM3).

    Hashes of the other hashers verify and are re-hashed into this one at the next login."""

    algorithm = "argon2sm3"

    @staticmethod
    def _peppered(password: str) -> str:
        from idp.core import crypto, gm

        return gm.hmac_sm3(crypto.purpose_key("password pepper", crypto.GM), password.encode()).hex()

    def encode(self, password, salt):
        return super().encode(self._peppered(password), salt)

    def verify(self, password, encoded):
        return super().verify(self._peppered(password), encoded)
