"""The protocol tests go through config.wsgi.application, the entry point production serves."""

import pytest


@pytest.fixture
def client():
    from tests.wsgi import ProductionClient

    return ProductionClient()
