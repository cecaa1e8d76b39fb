from tests.sso.conftest import https_receiver, receiver  # noqa: F401  (fake business-system endpoints)
