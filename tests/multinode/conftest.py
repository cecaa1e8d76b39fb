"""The SSO tests' logout receiver serves the multi-node tests too."""

from tests.sso.conftest import receiver  # noqa: F401
