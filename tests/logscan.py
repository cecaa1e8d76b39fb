"""No secret in any log line (issue 14, item 3): everything the platform logs during the whole
test run — this process's log records, formatted as production formats them, and the output
of every server the tests start — is searched at the end of the run for what must never be
written: passwords the tests typed, one-time-code messages, tokens, keys and full identity
numbers. A hit fails the run (tests/conftest.py)."""

import logging
import re
from pathlib import Path

from django.conf import settings

from idp.core.requestlog import JsonFormatter
from tests import factories

# Passwords the tests type (right and wrong ones), and other secrets they hold.
KNOWN = {factories.PASSWORD, "Kz9vBq2wLm", "Nw7Kq2Lzx9", "Wrong0000!", "Tq4!mRv8Lw", "Review@2026", "Newpass123!",
         "Appealed123!", "Another123!", "Again12345!", "wrong-password", "metrics-token-for-the-test",
         "metrics-token-of-the-multinode-test", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="}

PATTERNS = {
    "a JWT (ID, access or logout token)": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),
    "a full resident identity number": re.compile(
        r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"),
    "a one-time-code message": re.compile(r"验证码为 ?\d{6}"),
    "a bearer credential": re.compile(r"Bearer [A-Za-z0-9_.~+/-]{16,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\"d\": ?\"[A-Za-z0-9_-]{40,}\""),
    "a 256-bit secret (client secret, refresh token, set-password link)":
        re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_=-])"),
}
# A 43-character run that is not a secret: none known; add here with the reason if one appears.
NOT_SECRETS: set[str] = set()


def collecting_handler(path: Path) -> logging.Handler:
    """Every record that reaches the root logger, written as production writes it."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    return handler


def findings(paths) -> list[str]:
    known = KNOWN | {settings.SECRET_KEY, settings.IDP_DATA_KEY}
    found = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            hits = [f"the secret {secret[:3]}…" for secret in known if secret and secret in line]
            hits += [what for what, pattern in PATTERNS.items()
                     if any(m not in NOT_SECRETS for m in pattern.findall(line))]
            found += [f"{path}:{number}: {hit}: {line[:160]}" for hit in hits]
    return found
