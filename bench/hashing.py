"""Time per password hash for the platform's hasher and Django's defaults (one core).

    make bench
"""

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
)

from idp.accounts.hashers import Argon2idHasher  # noqa: E402


def per_hash_ms(hasher, rounds):
    timings = []
    for i in range(rounds):
        start = time.perf_counter()
        hasher.encode(f"Passw0rd!{i}", hasher.salt())
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), min(timings)


if __name__ == "__main__":
    print(f"{'hasher':<44} {'median ms':>10} {'min ms':>8}")
    for label, hasher, rounds in [
        ("platform argon2id m=19MiB t=2 p=1", Argon2idHasher(), 40),
        ("Django default argon2id m=100MiB t=2 p=8", Argon2PasswordHasher(), 10),
        ("Django default PBKDF2-SHA256 1,000,000 it.", PBKDF2PasswordHasher(), 5),
    ]:
        median, fastest = per_hash_ms(hasher, rounds)
        print(f"{label:<44} {median:>10.1f} {fastest:>8.1f}")
