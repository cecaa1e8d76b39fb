"""SAML metadata: the service provider's, read at registration, and the platform's own, served at
/saml/metadata for service providers to load."""

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.urls import reverse
from lxml import etree
from lxml.builder import ElementMaker

from idp.saml import signing
from idp.saml.xml import (
    BINDING_POST,
    BINDING_REDIRECT,
    BINDING_SOAP,
    DS,
    MD,
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    NAMESPACES,
    MalformedMessage,
    parse,
)


@dataclass
class Endpoint:
    binding: str
    location: str
    response_location: str = ""
    index: int = 0
    is_default: bool = False


@dataclass
class SpMetadata:
    entity_id: str
    acs: list[Endpoint]
    slo: list[Endpoint]
    signing_certificates: list[str]  # PEM
    encryption_certificate: str  # PEM, or ""
    authn_requests_signed: bool


def _pem(text: str) -> str:
    """A <ds:X509Certificate>'s base64 as a checked PEM certificate."""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
    except ValueError:
        raise MalformedMessage("a certificate in the metadata cannot be read") from None


def _certificates(descriptor, use: str) -> list[str]:
    found = []
    for key in descriptor.findall("md:KeyDescriptor", NAMESPACES):
        if key.get("use") in (use, None):
            found += [_pem(cert.text or "") for cert in key.findall(f".//{{{DS}}}X509Certificate")]
    return found


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def read_sp_metadata(document: bytes) -> SpMetadata:
    """The parts of an <md:EntityDescriptor> with one <md:SPSSODescriptor> the platform uses."""
    root = parse(document)
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = root.findall("md:EntityDescriptor", NAMESPACES)
        if len(entities) != 1:
            raise MalformedMessage("the metadata must describe exactly one service provider")
        root = entities[0]
    if root.tag != f"{{{MD}}}EntityDescriptor" or not root.get("entityID"):
        raise MalformedMessage("not SAML metadata (no md:EntityDescriptor with an entityID)")
    descriptor = root.find("md:SPSSODescriptor", NAMESPACES)
    if descriptor is None:
        raise MalformedMessage("the metadata has no md:SPSSODescriptor")
    acs = [Endpoint(e.get("Binding", ""), e.get("Location", ""), index=int(e.get("index", "0") or 0),
                    is_default=_true(e.get("isDefault")))
           for e in descriptor.findall("md:AssertionConsumerService", NAMESPACES)]
    acs = [e for e in acs if e.binding == BINDING_POST and e.location]
    if not acs:
        raise MalformedMessage("the metadata has no AssertionConsumerService with the HTTP-POST binding")
    slo = [Endpoint(e.get("Binding", ""), e.get("Location", ""), e.get("ResponseLocation", ""))
           for e in descriptor.findall("md:SingleLogoutService", NAMESPACES)]
    slo = [e for e in slo if e.binding in (BINDING_REDIRECT, BINDING_POST, BINDING_SOAP) and e.location]
    encryption = _certificates(descriptor, "encryption")
    return SpMetadata(
        entity_id=root.get("entityID"), acs=acs, slo=slo, signing_certificates=_certificates(descriptor, "signing"),
        encryption_certificate=encryption[0] if encryption else "",
        authn_requests_signed=_true(descriptor.get("AuthnRequestsSigned")))


# --- the platform's metadata ---

def entity_id() -> str:
    return settings.IDP_ISSUER + reverse("saml-metadata")


def idp_metadata() -> bytes:
    """The IdP's EntityDescriptor: a signing KeyDescriptor for every published RSA key (the one
    signing now and, during a rotation, the next one), the SSO and SLO services in both bindings."""
    E = ElementMaker(namespace=MD, nsmap={"md": MD, "ds": DS})  # noqa: N806
    D = ElementMaker(namespace=DS, nsmap={"ds": DS})  # noqa: N806
    sso, slo = settings.IDP_ISSUER + reverse("saml-sso"), settings.IDP_ISSUER + reverse("saml-slo")
    key_descriptors = [
        E.KeyDescriptor(D.KeyInfo(D.KeyName(key.kid), D.X509Data(D.X509Certificate(
            signing.certificate_text(signing.certificate_pem(key))))), use="signing")
        for key in signing.published_keys()]
    descriptor = E.IDPSSODescriptor(
        *key_descriptors,
        *[E.SingleLogoutService(Binding=binding, Location=slo) for binding in (BINDING_REDIRECT, BINDING_POST)],
        E.NameIDFormat(NAMEID_PERSISTENT), E.NameIDFormat(NAMEID_TRANSIENT),
        *[E.SingleSignOnService(Binding=binding, Location=sso) for binding in (BINDING_REDIRECT, BINDING_POST)],
        WantAuthnRequestsSigned="false", protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol")
    root = E.EntityDescriptor(descriptor, entityID=entity_id())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
