"""The facts a business system receives — the same in ID tokens, userinfo, introspection and
CAS attributes (README, "What business systems receive").

When a natural person acts for an organisation, the subject is the organisation and the
person is the actor (`act`, modelled on RFC 8693): the business system works for the
organisation and knows who did it.
"""

from idp.accounts.models import Account
from idp.core import crypto


def subject(account: Account) -> str:
    """A stable identifier that is not the login name and reveals nothing about the account."""
    return crypto.blind_index("subject", str(account.pk))[:32]


def _own_claims(account: Account) -> dict:
    claims = {
        "sub": subject(account),
        "account_type": account.kind,
        "name": account.display_name,
        "realname_status": account.realname_status,
        "realname_verified": account.is_realname_verified,
    }
    if account.is_legal:
        org = account.organisation
        claims.update(org_name=org.name, uscc=org.uscc, legal_type=org.legal_type)
    return claims


def identity_claims(account: Account, acting_for: Account | None = None) -> dict:
    if acting_for is None:
        return _own_claims(account)
    claims = _own_claims(acting_for)
    actor = _own_claims(account)
    claims["act"] = {k: actor[k] for k in ("sub", "account_type", "name", "realname_status")}
    return claims


def cas_attributes(claims: dict) -> dict:
    """Flat CAS attributes: the claims, with the actor's as act_sub, act_name …"""
    flat = {k: v for k, v in claims.items() if k not in ("sub", "act")}
    for key, value in claims.get("act", {}).items():
        flat[f"act_{key}"] = value
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in flat.items()}
