import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from lxml import etree

from idp.sso import clients
from tests import factories
from tests.saml import sp as sp_module


@pytest.fixture
def sp(db):
    provider = sp_module.ServiceProvider()
    clients.register(name="档案管理", code="archive", protocol="saml",
                     protocol_options={"metadata": provider.metadata()}, requires_realname=False)
    return provider


@pytest.fixture
def person(client, db):
    account = factories.natural_account(name="王五")
    client.force_login(account)
    return account


@pytest.fixture
def idp_cert(client, db) -> bytes:
    """The signing certificate as the platform's metadata publishes it."""
    root = etree.fromstring(client.get("/saml/metadata").content)
    text = root.find(".//ds:X509Certificate", sp_module.NS).text
    return x509.load_der_x509_certificate(base64.b64decode(text)).public_bytes(serialization.Encoding.PEM)


def sso_url() -> str:
    return settings.IDP_ISSUER + "/saml/sso"


def slo_url() -> str:
    return settings.IDP_ISSUER + "/saml/slo"
