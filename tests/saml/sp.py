"""A service provider for the tests, written from the SAML 2.0 specifications with lxml and
python-xmlsec: its key and certificate, its metadata, the AuthnRequests and LogoutRequests it
sends in either binding, and the checks it makes of the platform's answers (decryption and
signatures by the certificate in the platform's metadata). Apache mod_auth_mellon, a stock SP,
is the other one (tests/interop)."""

import base64
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NS = {"saml": SAML, "samlp": SAMLP, "md": MD, "ds": DS, "xenc": XENC}
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def _now(offset: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def deflate(document: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(document) + compressor.flush()).decode()


def inflate(value: str) -> bytes:
    return zlib.decompress(base64.b64decode(value), -15)


@dataclass
class ServiceProvider:
    entity_id: str = "https://sp.test/saml"
    base: str = "https://sp.test"
    sign_requests: bool = True
    encrypt: bool = True
    slo_bindings: tuple = (REDIRECT,)
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                      key_size=2048))

    def __post_init__(self):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, urlsplit(self.base).hostname)])
        self.cert_pem = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                         .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                         .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
                         .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
                         .sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        self.key_pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    @property
    def acs(self) -> str:
        return self.base + "/acs"

    @property
    def slo(self) -> str:
        return self.base + "/slo"

    def metadata(self, *, extra_acs: str = "") -> bytes:
        body = "".join(line for line in self.cert_pem.decode().splitlines() if not line.startswith("-----"))
        keys = "".join(f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}'
                       f'</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
                       for use in (["signing"] + (["encryption"] if self.encrypt else [])))
        slo = "".join(f'<md:SingleLogoutService Binding="{b}" Location="{self.slo}"/>' for b in self.slo_bindings)
        extra = (f'<md:AssertionConsumerService Binding="{POST}" Location="{extra_acs}" index="1"/>'
                 if extra_acs else "")
        return (f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{self.entity_id}">'
                f'<md:SPSSODescriptor AuthnRequestsSigned="{str(self.sign_requests).lower()}" '
                f'WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                f'{keys}{slo}<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>'
                f'<md:AssertionConsumerService Binding="{POST}" Location="{self.acs}" index="0" isDefault="true"/>'
                f'{extra}</md:SPSSODescriptor></md:EntityDescriptor>').encode()

    # --- requests ---

    def authn_request(self, *, destination: str, acs: str | None = None, force: bool = False,
                      passive: bool = False, name_id_format: str = "", issued_offset: int = 0) -> tuple[str, bytes]:
        request_id = "_" + secrets.token_hex(8)
        policy = f'<samlp:NameIDPolicy Format="{name_id_format}" AllowCreate="true"/>' if name_id_format else ""
        document = (f'<samlp:AuthnRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{request_id}" '
                    f'Version="2.0" IssueInstant="{_now(issued_offset)}" Destination="{destination}" '
                    f'AssertionConsumerServiceURL="{acs or self.acs}" '
                    f'ProtocolBinding="{POST}"' + (' ForceAuthn="true"' if force else "")
                    + (' IsPassive="true"' if passive else "")
                    + f'><saml:Issuer>{self.entity_id}</saml:Issuer>{policy}</samlp:AuthnRequest>')
        return request_id, document.encode()

    def logout_request(self, *, destination: str, name_id: str, session_index: str) -> tuple[str, bytes]:
        request_id = "_" + secrets.token_hex(8)
        document = (f'<samlp:LogoutRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{request_id}" '
                    f'Version="2.0" IssueInstant="{_now()}" Destination="{destination}">'
                    f'<saml:Issuer>{self.entity_id}</saml:Issuer>'
                    f'<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}'
                    f'</saml:NameID><samlp:SessionIndex>{session_index}</samlp:SessionIndex></samlp:LogoutRequest>')
        return request_id, document.encode()

    def logout_response(self, *, destination: str, in_response_to: str) -> bytes:
        return (f'<samlp:LogoutResponse xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_{secrets.token_hex(8)}" '
                f'Version="2.0" IssueInstant="{_now()}" Destination="{destination}" InResponseTo="{in_response_to}">'
                f'<saml:Issuer>{self.entity_id}</saml:Issuer><samlp:Status><samlp:StatusCode '
                f'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>'
                ).encode()

    def redirect_query(self, parameter: str, document: bytes, relay_state: str = "", *, sign: bool = True) -> str:
        pairs = [(parameter, deflate(document))] + ([("RelayState", relay_state)] if relay_state else [])
        if not sign:
            return urlencode(pairs)
        pairs.append(("SigAlg", RSA_SHA256))
        signed = urlencode(pairs)
        signature = self.key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signed + "&" + urlencode({"Signature": base64.b64encode(signature).decode()})

    def signed_post(self, document: bytes) -> str:
        root = etree.fromstring(document)
        signature = xmlsec.template.create(root, xmlsec.constants.TransformExclC14N,
                                           xmlsec.constants.TransformRsaSha256, ns="ds")
        root.find(f"{{{SAML}}}Issuer").addnext(signature)
        reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256,
                                                  uri="#" + root.get("ID"))
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_memory(self.key_pem, xmlsec.constants.KeyDataFormatPem)
        context.register_id(root, "ID")
        context.sign(signature)
        return base64.b64encode(etree.tostring(root)).decode()

    # --- answers ---

    def decrypt(self, response: etree._Element) -> etree._Element:
        """The response with its EncryptedAssertion replaced by the assertion."""
        encrypted = response.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
        if encrypted is not None:
            manager = xmlsec.KeysManager()
            manager.add_key(xmlsec.Key.from_memory(self.key_pem, xmlsec.constants.KeyDataFormatPem))
            assertion = xmlsec.EncryptionContext(manager).decrypt(encrypted)
            holder = response.find("saml:EncryptedAssertion", NS)
            holder.addprevious(assertion)
            response.remove(holder)
        return response


def verify_signature(element: etree._Element, cert_pem: bytes) -> None:
    """Raises xmlsec.Error unless `element` carries a valid signature of its own by `cert_pem`."""
    signature = element.find("ds:Signature", NS)
    assert signature is not None, f"{element.tag} is not signed"
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    context.register_id(element, "ID")
    context.verify(signature)


def form_fields(html: bytes) -> tuple[str, dict]:
    """The action and hidden fields of the auto-submitted form of a page."""
    page = etree.fromstring(html, etree.HTMLParser())
    form = page.find(".//form[@data-autosubmit]")
    assert form is not None, html[:500]
    return form.get("action"), {i.get("name"): i.get("value") for i in form.findall(".//input[@type='hidden']")}


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))
