from tests.sso.conftest import receiver  # noqa: F401  (the fake business-system endpoint)
