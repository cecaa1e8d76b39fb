"""Reading XML that strangers send, and the names SAML uses.

Every document from outside — a service provider's metadata, an AuthnRequest, a LogoutRequest —
is parsed without DTDs, entities or network access, and only up to a size, so a message cannot
expand itself (billion laughs) or make the platform fetch anything."""

from lxml import etree

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NAMESPACES = {"saml": SAML, "samlp": SAMLP, "md": MD, "ds": DS, "xsi": XSI, "xs": XS, "xenc":
              "http://www.w3.org/2001/04/xmlenc#", "SOAP-ENV": SOAP}

BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"

NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
STATUS_INVALID_NAMEID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
STATUS_REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"

MAX_DOCUMENT_BYTES = 256 * 1024


class MalformedMessage(ValueError):
    """Not a SAML message the platform can read."""


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


def parse(document: bytes) -> etree._Element:
    if len(document) > MAX_DOCUMENT_BYTES:
        raise MalformedMessage("the document is too large")
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise MalformedMessage("documents with a DTD are refused")
    try:
        return etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedMessage(f"not XML: {exc}") from None


def q(prefix: str, name: str) -> str:
    """The Clark name of `prefix:name`, e.g. q("saml", "Issuer")."""
    return f"{{{NAMESPACES[prefix]}}}{name}"


def text_of(element, path: str) -> str:
    found = element.find(path, NAMESPACES)
    return (found.text or "").strip() if found is not None else ""
