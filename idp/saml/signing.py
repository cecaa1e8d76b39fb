"""XML signatures and encryption for SAML, in process (python-xmlsec over lxml).

The platform signs with the RSA key of its signing-key ring (sso/keys.py) — the key that signs
RS256 ID tokens — presented as a self-signed certificate made from it (SAML metadata carries
certificates). The certificate is derived deterministically from the key, its kid and the issuer
(RSA PKCS#1 v1.5 signatures are deterministic), so every process and node publishes the same
bytes without storing them, and a rotated key publishes its certificate in the metadata as soon
as it is published in the JWKS, before it signs.

Only what SAML 2.0 needs and nothing a message could choose: enveloped signatures over the
signed element's own ID, exclusive C14N, RSA-SHA256/384/512 with SHA-2 digests; assertions
encrypted AES-256-GCM (or AES-128-CBC for old service providers) with RSA-OAEP key transport.

lxml and xmlsec must be built on the same libxml2 (pyproject pins a matching pair); self_test()
signs, verifies, encrypts and decrypts a small document at start-up and refuses to run otherwise.
"""

import base64
import hashlib
import threading
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from lxml import etree

from idp.saml.xml import DS, SAML
from idp.sso import keys

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
# Redirect-binding SigAlg values we accept (SHA-1 is not among them), with their digests.
SIGNATURE_ALGORITHMS = {
    RSA_SHA256: hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}
ENCRYPTION_METHODS = {
    "aes256-gcm": xmlsec.constants.TransformAes256Gcm,
    "aes128-cbc": xmlsec.constants.TransformAes128Cbc,
}


class SignatureError(ValueError):
    """A signature that is missing where one is required, or does not verify."""


# --- the platform's key and certificates ---

def _pem(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


@lru_cache(maxsize=16)
def _certificate(kid: str, issuer: str, public_pem: bytes, private_pem: bytes) -> bytes:
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (urlsplit(issuer).hostname or "idp")[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kid[:64])])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private_key.public_key())
                   .serial_number(int.from_bytes(hashlib.sha256(kid.encode()).digest()[:16], "big") >> 1)
                   .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
                   .not_valid_after(datetime(2099, 12, 31, tzinfo=UTC))
                   .sign(private_key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


def certificate_pem(key) -> bytes:
    """The self-signed certificate of a ring key (a joserfc RSAKey with its private half)."""
    private = key.private_key
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return _certificate(key.kid, settings.IDP_ISSUER, public, _pem(private))


def certificate_text(pem: bytes) -> str:
    """The base64 body of a PEM certificate, as <ds:X509Certificate> carries it."""
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


def published_keys() -> list:
    """The RSA keys of the ring that business systems may meet: the one signing now first."""
    current = keys.signing_key("RS256")
    others = [k for k in keys.public_keys().keys if k.key_type == "RSA" and k.kid != current.kid]
    return [current, *others]


@lru_cache(maxsize=16)
def _xmlsec_key(kid: str, private_pem: bytes, cert_pem: bytes) -> xmlsec.Key:
    key = xmlsec.Key.from_memory(private_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    return key


def _signing_key():
    key = keys.signing_key("RS256")
    return key, _xmlsec_key(key.kid, _pem(key.private_key), certificate_pem(key))


# --- enveloped signatures ---

def sign(element: etree._Element) -> None:
    """Sign `element` (which has an ID and an Issuer) in place; the signature follows its Issuer,
    where the SAML schema puts it."""
    key, xkey = _signing_key()
    signature = xmlsec.template.create(element, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha256, ns="ds")
    issuer = element.find(f"{{{SAML}}}Issuer")
    if issuer is not None:
        issuer.addnext(signature)
    else:
        element.insert(0, signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256,
                                              uri="#" + element.get("ID"))
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    context = xmlsec.SignatureContext()
    context.key = xkey
    context.register_id(element, "ID")
    context.sign(signature)


def _restricted_context(cert_pem: bytes) -> xmlsec.SignatureContext:
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    for transform in (xmlsec.constants.TransformEnveloped, xmlsec.constants.TransformExclC14N,
                      xmlsec.constants.TransformExclC14NWithComments, xmlsec.constants.TransformInclC14N,
                      xmlsec.constants.TransformSha256, xmlsec.constants.TransformSha384,
                      xmlsec.constants.TransformSha512):
        context.enable_reference_transform(transform)
    for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformInclC14N,
                      xmlsec.constants.TransformRsaSha256, xmlsec.constants.TransformRsaSha384,
                      xmlsec.constants.TransformRsaSha512):
        context.enable_signature_transform(transform)
    return context


def verify(element: etree._Element, certificates: list[bytes]) -> None:
    """The signature of `element` itself — a direct child whose one reference is the element's
    own ID (so no other part of the document can be what was signed) — verifies with one of the
    certificates. Raises SignatureError otherwise."""
    signatures = element.findall(f"{{{DS}}}Signature")
    if len(signatures) != 1:
        raise SignatureError("the message is not signed" if not signatures else "more than one signature")
    signature = signatures[0]
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    element_id = element.get("ID")
    if not element_id or len(references) != 1 or references[0].get("URI") != "#" + element_id:
        raise SignatureError("the signature does not cover the message")
    for cert_pem in certificates:
        context = _restricted_context(cert_pem)
        context.register_id(element, "ID")
        try:
            context.verify(signature)
        except xmlsec.Error:
            continue
        return
    raise SignatureError("the signature does not verify")


# --- the HTTP-Redirect binding's detached signatures (SAML bindings §3.4.4.1) ---

def _raw_pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) if "=" in part else (part, "") for part in query.split("&") if part]


def verify_redirect(query: str, message_parameter: str, certificates: list[bytes]) -> bool:
    """Whether the query string (as received: its values still URL-encoded) carries a signature
    by one of the certificates. False when it carries none; SignatureError when it carries a bad one."""
    raw = dict(_raw_pairs(query))
    if "Signature" not in raw:
        return False
    algorithm = unquote(raw.get("SigAlg", ""))
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise SignatureError("unsupported SigAlg")
    signed = "&".join(f"{name}={raw[name]}" for name in (message_parameter, "RelayState", "SigAlg") if name in raw)
    try:
        signature = base64.b64decode(unquote(raw["Signature"]), validate=True)
    except ValueError:
        raise SignatureError("the signature is not base64") from None
    for cert_pem in certificates:
        public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue
        try:
            public_key.verify(signature, signed.encode(), padding.PKCS1v15(), SIGNATURE_ALGORITHMS[algorithm]())
        except InvalidSignature:
            continue
        return True
    raise SignatureError("the signature does not verify")


def sign_redirect(signed_part: str) -> str:
    """The base64 signature (RSA-SHA256) of `SAMLRequest=…&RelayState=…&SigAlg=…`."""
    key, _ = _signing_key()
    return base64.b64encode(key.private_key.sign(signed_part.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


# --- encrypted assertions ---

_managers = threading.local()


def _recipient(cert_pem: bytes) -> xmlsec.KeysManager:
    """A keys manager holding the recipient's key, kept per thread (making one loads the X.509
    store: ~10 ms; xmlsec's managers are not shared between threads)."""
    kept = getattr(_managers, "by_certificate", None)
    if kept is None or len(kept) > 64:
        kept = _managers.by_certificate = {}
    if cert_pem not in kept:
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem))
        kept[cert_pem] = manager
    return kept[cert_pem]


def encrypt(element: etree._Element, cert_pem: bytes, method: str) -> etree._Element:
    """Replace `element` in its document by its <xenc:EncryptedData> for the holder of
    `cert_pem`: a fresh AES key for the data, sent under RSA-OAEP. Returns the EncryptedData."""
    manager = _recipient(cert_pem)
    template = xmlsec.template.encrypted_data_create(element, ENCRYPTION_METHODS[method],
                                                     type=xmlsec.constants.TypeEncElement, ns="xenc")
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    context = xmlsec.EncryptionContext(manager)
    size = 256 if method == "aes256-gcm" else 128
    context.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, size, xmlsec.constants.KeyDataTypeSession)
    return context.encrypt_xml(template, element)


def decrypt(encrypted_data: etree._Element, private_pem: bytes) -> etree._Element:
    """The inverse of encrypt() for the holder of the private key (tests and the self-test)."""
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(private_pem, xmlsec.constants.KeyDataFormatPem))
    return xmlsec.EncryptionContext(manager).decrypt(encrypted_data)


# --- start-up ---

def self_test() -> None:
    """Sign, verify, encrypt and decrypt a small document with a throw-away key: a mismatched
    lxml/xmlsec pair fails here, at start-up, instead of on the first sign-on."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-test")])
    cert_pem = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                .serial_number(1).not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
                .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC)).sign(private, hashes.SHA256())
                .public_bytes(serialization.Encoding.PEM))
    document = etree.fromstring(f'<r xmlns="{SAML}" ID="_t"><Issuer>t</Issuer><v>测试</v></r>'.encode())
    signature = xmlsec.template.create(document, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha256, ns="ds")
    document.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="#_t")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(_pem(private), xmlsec.constants.KeyDataFormatPem)
    context.register_id(document, "ID")
    context.sign(signature)
    verify(document, [cert_pem])
    holder = etree.SubElement(document, "holder")
    inner = etree.SubElement(holder, "secret")
    inner.text = "值"
    encrypted = encrypt(inner, cert_pem, "aes256-gcm")
    if decrypt(encrypted, _pem(private)).text != "值":
        raise RuntimeError("xmlsec round trip failed")
