"""The facts a business system receives — the same in ID tokens, userinfo, introspection and
CAS attributes (docs/integrators.md, "What a business system receives").

When a natural person acts for an organisation, the subject is the organisation and the
person is the actor (`act`, modelled on RFC 8693): the business system works for the
organisation and knows who did it.
"""

from dataclasses import dataclass

from idp.accounts.models import PASSING_STATUSES, Account, AccountKind
from idp.core import crypto


@dataclass(frozen=True)
class Party:
    """An account as business systems see it (built from an Account, or straight from SQL)."""

    pk: int
    kind: str
    name: str
    realname_status: str
    is_active: bool = True
    org_name: str = ""
    uscc: str = ""
    legal_type: str = ""

    @classmethod
    def of(cls, account: Account) -> "Party":
        person = getattr(account, "person", None) if account.is_natural else None
        org = account.organisation if account.is_legal else None
        return cls.from_columns(account.pk, account.kind, account.is_active, account.realname_status,
                                account.login_name, person.name if person else None, org.name if org else None,
                                org.uscc if org else None, org.legal_type if org else None)

    @classmethod
    def from_columns(cls, pk, kind, is_active, realname_status, login_name, person_name, org_name, uscc,
                     legal_type) -> "Party":
        """The one way a Party is built: from an Account's fields (of()) or straight from a SQL row
        (oidc/families.py). The name is the person's or the organisation's, else the login name."""
        return cls(pk, kind, person_name or org_name or login_name, realname_status, bool(is_active),
                   org_name or "", uscc or "", legal_type or "")


def subject(who: Account | Party) -> str:
    """A stable identifier that is not the login name and reveals nothing about the account."""
    return crypto.identifier("subject", str(who.pk))[:32]


def _own_claims(who: Party) -> dict:
    claims = {
        "sub": subject(who),
        "account_type": who.kind,
        "name": who.name,
        "realname_status": who.realname_status,
        "realname_verified": who.realname_status in PASSING_STATUSES,
    }
    if who.kind == AccountKind.LEGAL:
        claims.update(org_name=who.org_name, uscc=who.uscc, legal_type=who.legal_type)
    return claims


def identity_claims(who: Account | Party, acting_for: Account | Party | None = None) -> dict:
    who = who if isinstance(who, Party) else Party.of(who)
    if acting_for is None:
        return _own_claims(who)
    acting_for = acting_for if isinstance(acting_for, Party) else Party.of(acting_for)
    claims = _own_claims(acting_for)
    actor = _own_claims(who)
    claims["act"] = {k: actor[k] for k in ("sub", "account_type", "name", "realname_status")}
    return claims


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def cas_attributes(claims: dict) -> dict:
    """Flat CAS attributes: the claims, with the actor's as act_sub, act_name … — and each name
    with an underscore also in camelCase (accountType, actSub …, as Apereo CAS names its
    attributes): Apache httpd drops request headers whose names contain `_`, so mod_auth_cas
    can pass only the camelCase ones on to an application."""
    flat = {k: v for k, v in claims.items() if k not in ("sub", "act")}
    for key, value in claims.get("act", {}).items():
        flat[f"act_{key}"] = value
    flat.update({_camel(k): v for k, v in list(flat.items()) if "_" in k})
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in flat.items()}
