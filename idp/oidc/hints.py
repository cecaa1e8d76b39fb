"""id_token_hint on the authorization request (OIDC Core §3.1.2.1): an ID token this platform
issued to the same business system, naming whom it expects — the person, or the organisation a
person acts for. A hint that is not one (broken signature, another issuer or audience) is refused
with invalid_request; one naming someone other than the signed-in person is login_required. An
expired ID token is still a good hint: it names someone, it grants nothing."""

from django.conf import settings

from idp.sso import claims, keys

BROKEN = object()  # not an ID token of ours for this client
SOMEONE_ELSE = object()  # names a person, or an identity, other than the signed-in person's here


def identity_token(value: str | None, client_id: str):
    """The hint's claims, None without a hint, or BROKEN."""
    if not value:
        return None
    try:
        _, hint = keys.verify(value, algorithms=keys.ID_TOKEN_ALGS)
    except keys.Invalid:
        return BROKEN
    audience = hint.get("aud")
    if (hint.get("iss") != settings.IDP_ISSUER or not isinstance(hint.get("sub"), str)
            or client_id not in (audience if isinstance(audience, list) else [audience])):
        return BROKEN
    return hint


def identity_of(hint: dict, account, decision):
    """Whom the hint names among the signed-in account's identities for this system: None for
    the person themselves, an organisation they may act for here, or SOMEONE_ELSE."""
    actor = (hint.get("act") or {}).get("sub") if isinstance(hint.get("act"), dict) else None
    if actor is None:
        return None if hint["sub"] == claims.subject(account) else SOMEONE_ELSE
    if actor != claims.subject(account):
        return SOMEONE_ELSE
    for who in decision.identities:
        if who is not None and claims.subject(who) == hint["sub"]:
            return who
    return SOMEONE_ELSE
