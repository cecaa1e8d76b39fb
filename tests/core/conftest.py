"""The single-logout receiver of the SSO tests serves the job and serve tests too."""

from tests.sso.conftest import receiver  # noqa: F401
