"""The SAML 2.0 protocol messages the platform reads (AuthnRequest, LogoutRequest, LogoutResponse)
and writes (Response with its Assertion, LogoutRequest, LogoutResponse) — SAML 2.0 Core §3.

Reading checks what the profile requires of each message and no more; whether the sender may send
it (its signature, its ACS) is the views' business. Writing produces signed documents: the
assertion signed, then encrypted for the service provider if it registered an encryption
certificate, then the response signed around it — each as the service provider chose."""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from lxml import etree
from lxml.builder import ElementMaker

from idp.saml import signing
from idp.saml.metadata import entity_id
from idp.saml.xml import (
    NAMEID_PERSISTENT,
    NAMESPACES,
    SAML,
    SAMLP,
    STATUS_SUCCESS,
    XS,
    XSI,
    MalformedMessage,
    q,
    text_of,
)

ASSERTION_SECONDS = 300  # an assertion's NotOnOrAfter, and its bearer confirmation's, from now
REQUEST_MAX_AGE_SECONDS = 600  # an AuthnRequest or LogoutRequest older than this is refused
ATTRIBUTE_NAME_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
TWO_FACTOR = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"  # proven at an upstream provider

# The attributes' FriendlyName: what each CAS name means, as the platform's pages say it.
FRIENDLY_NAMES = {
    "name": "姓名或单位名称", "accountType": "用户类型", "realnameStatus": "实名认证状态",
    "realnameVerified": "已实名认证", "orgName": "单位名称", "uscc": "统一社会信用代码", "legalType": "法人类型",
    "actSub": "代办人标识", "actAccountType": "代办人用户类型", "actName": "代办人姓名",
    "actRealnameStatus": "代办人实名认证状态",
}


def new_id() -> str:
    return "_" + secrets.token_hex(20)  # an xs:ID must not start with a digit


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_instant(value: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage("IssueInstant is not a date and time") from None
    if moment.tzinfo is None:
        raise MalformedMessage("IssueInstant has no time zone")
    return moment


def _check_issued(root) -> None:
    """Issued recently (SAML Core §1.3.3), allowing for the service provider's clock."""
    if root.get("Version") != "2.0":
        raise MalformedMessage("not a SAML 2.0 message")
    if not root.get("ID"):
        raise MalformedMessage("the message has no ID")
    issued, now = _read_instant(root.get("IssueInstant")), timezone.now()
    skew = timedelta(seconds=settings.IDP_SAML_CLOCK_SKEW)
    if issued > now + skew or issued < now - skew - timedelta(seconds=REQUEST_MAX_AGE_SECONDS):
        raise MalformedMessage("the message was not issued just now (IssueInstant)")


def _check_destination(root, our_url: str) -> None:
    destination = root.get("Destination")
    if destination is not None and destination != our_url:
        raise MalformedMessage("the message is addressed to another place (Destination)")


def _issuer(root) -> str:
    issuer = text_of(root, "saml:Issuer")
    if not issuer:
        raise MalformedMessage("the message has no Issuer")
    return issuer


@dataclass
class AuthnRequest:
    id: str
    issuer: str
    acs_url: str
    acs_index: int | None
    force_authn: bool
    is_passive: bool
    name_id_format: str


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def read_authn_request(root, our_url: str) -> AuthnRequest:
    if root.tag != q("samlp", "AuthnRequest"):
        raise MalformedMessage("not an AuthnRequest")
    _check_issued(root)
    _check_destination(root, our_url)
    index = root.get("AssertionConsumerServiceIndex")
    if index is not None and not index.strip().isdigit():
        raise MalformedMessage("AssertionConsumerServiceIndex is not a number")
    policy = root.find("samlp:NameIDPolicy", NAMESPACES)
    return AuthnRequest(
        id=root.get("ID"), issuer=_issuer(root), acs_url=root.get("AssertionConsumerServiceURL", ""),
        acs_index=int(index) if index is not None else None, force_authn=_true(root.get("ForceAuthn")),
        is_passive=_true(root.get("IsPassive")),
        name_id_format=(policy.get("Format", "") if policy is not None else ""))


@dataclass
class LogoutRequest:
    id: str
    issuer: str
    name_id: str
    session_indexes: list[str] = field(default_factory=list)


def read_logout_request(root, our_url: str) -> LogoutRequest:
    if root.tag != q("samlp", "LogoutRequest"):
        raise MalformedMessage("not a LogoutRequest")
    _check_issued(root)
    _check_destination(root, our_url)
    not_after = root.get("NotOnOrAfter")
    if not_after is not None and _read_instant(not_after) + timedelta(seconds=settings.IDP_SAML_CLOCK_SKEW) \
            <= timezone.now():
        raise MalformedMessage("the logout request has expired (NotOnOrAfter)")
    return LogoutRequest(id=root.get("ID"), issuer=_issuer(root), name_id=text_of(root, "saml:NameID"),
                         session_indexes=[(e.text or "").strip()
                                          for e in root.findall("samlp:SessionIndex", NAMESPACES)])


@dataclass
class LogoutResponse:
    id: str
    issuer: str
    in_response_to: str
    status: str


def read_logout_response(root, our_url: str) -> LogoutResponse:
    if root.tag != q("samlp", "LogoutResponse"):
        raise MalformedMessage("not a LogoutResponse")
    _check_issued(root)
    _check_destination(root, our_url)
    status = root.find("samlp:Status/samlp:StatusCode", NAMESPACES)
    return LogoutResponse(id=root.get("ID"), issuer=_issuer(root), in_response_to=root.get("InResponseTo", ""),
                          status=status.get("Value", "") if status is not None else "")


# --- writing ---

S = ElementMaker(namespace=SAML, nsmap={"saml": SAML})
P = ElementMaker(namespace=SAMLP, nsmap={"samlp": SAMLP, "saml": SAML})


def _status(*codes: str):
    """<samlp:Status> with a top-level code and, nested, the more precise ones."""
    element = P.StatusCode(Value=codes[-1])
    for code in reversed(codes[:-1]):
        element = P.StatusCode(element, Value=code)
    return P.Status(element)


@dataclass
class Subject:
    """What the assertion says of whom: their NameID, the facts, and how they logged in."""

    name_id: str
    name_id_format: str
    attributes: dict  # CAS name -> value
    session_index: str
    auth_time: datetime
    two_factor: bool
    authority: str = ""  # the upstream provider that proved the login (federation), if one did


def _attribute(name: str, value: str):
    attribute = S.Attribute(Name=name, NameFormat=ATTRIBUTE_NAME_FORMAT)
    if name in FRIENDLY_NAMES:
        attribute.set("FriendlyName", FRIENDLY_NAMES[name])
    element = S.AttributeValue(value)
    element.set(f"{{{XSI}}}type", "xs:string")
    attribute.append(element)
    return attribute


def _authn_context(subject: Subject):
    """How the login was proven; one that came through an upstream names it (AuthenticatingAuthority)."""
    method = TWO_FACTOR if subject.two_factor else UNSPECIFIED if subject.authority else PASSWORD
    context = S.AuthnContext(S.AuthnContextClassRef(method))
    if subject.authority:
        context.append(S.AuthenticatingAuthority(subject.authority))
    return context


def assertion(provider, subject: Subject, *, acs_url: str, in_response_to: str | None, now: datetime):
    """The signed (if the provider wants it) <saml:Assertion> for `provider`'s ACS."""
    until = instant(now + timedelta(seconds=ASSERTION_SECONDS))
    confirmation = S.SubjectConfirmationData(NotOnOrAfter=until, Recipient=acs_url)
    if in_response_to:
        confirmation.set("InResponseTo", in_response_to)
    name_id = S.NameID(subject.name_id, Format=subject.name_id_format, NameQualifier=entity_id(),
                       SPNameQualifier=provider.entity_id)
    element = etree.Element(q("saml", "Assertion"), nsmap={"saml": SAML, "xs": XS, "xsi": XSI},
                            ID=new_id(), Version="2.0", IssueInstant=instant(now))
    element.extend([
        S.Issuer(entity_id()),
        S.Subject(name_id, S.SubjectConfirmation(confirmation, Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")),
        S.Conditions(S.AudienceRestriction(S.Audience(provider.entity_id)),
                     NotBefore=instant(now - timedelta(seconds=settings.IDP_SAML_CLOCK_SKEW)), NotOnOrAfter=until),
        S.AuthnStatement(_authn_context(subject),
                         AuthnInstant=instant(subject.auth_time), SessionIndex=subject.session_index,
                         SessionNotOnOrAfter=instant(now + timedelta(hours=8))),
    ])
    if subject.attributes:
        element.append(S.AttributeStatement(*[_attribute(n, v) for n, v in subject.attributes.items()]))
    if provider.sign_assertion:
        signing.sign(element)
    return element


def response(provider, *, acs_url: str, in_response_to: str | None, subject: Subject | None = None,
             status: tuple[str, ...] = (STATUS_SUCCESS,), now: datetime | None = None) -> bytes:
    """The <samlp:Response> to an AuthnRequest (in_response_to: its ID; None for a sign-on the
    platform started): the assertion of `subject`, or — without one — only the status.
    `now`: when it is issued (default: now)."""
    now = now or timezone.now()
    root = P.Response(S.Issuer(entity_id()), _status(*status), ID=new_id(), Version="2.0",
                      IssueInstant=instant(now), Destination=acs_url)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    if subject is not None:
        signed = assertion(provider, subject, acs_url=acs_url, in_response_to=in_response_to, now=now)
        if provider.encryption_certificate:
            # Encrypted as a document of its own: the ciphertext is the assertion with every
            # namespace it uses declared in it, not relying on the response around it.
            encrypted = signing.encrypt(signed, provider.encryption_certificate.encode(), provider.encryption)
            root.append(S.EncryptedAssertion(encrypted))
        else:
            root.append(signed)
    if provider.sign_response or subject is None:
        signing.sign(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def logout_request(provider, *, destination: str, name_id: str, name_id_format: str, session_index: str):
    root = P.LogoutRequest(
        S.Issuer(entity_id()),
        S.NameID(name_id, Format=name_id_format or NAMEID_PERSISTENT, NameQualifier=entity_id(),
                 SPNameQualifier=provider.entity_id),
        P.SessionIndex(session_index),
        ID=new_id(), Version="2.0", IssueInstant=instant(timezone.now()), Destination=destination,
        NotOnOrAfter=instant(timezone.now() + timedelta(seconds=ASSERTION_SECONDS)))
    return root


def logout_response(*, destination: str, in_response_to: str, status: tuple[str, ...] = (STATUS_SUCCESS,)):
    return P.LogoutResponse(S.Issuer(entity_id()), _status(*status), ID=new_id(), Version="2.0",
                            IssueInstant=instant(timezone.now()), Destination=destination,
                            InResponseTo=in_response_to)


def to_bytes(element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
