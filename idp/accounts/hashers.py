from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """argon2id with the OWASP parameters m=19 MiB, t=2, p=1 (about 20–30 ms here).

    It keeps Django's `argon2` algorithm name: hashes made with other parameters still
    verify and are upgraded on the next login (must_update compares the parameters).
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
