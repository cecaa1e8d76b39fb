"""Signing-key rotation: a new key is published before it signs; old keys stay published
until the tokens they signed have expired."""

import json

import pytest
from django.core.management import call_command

from idp.oidc import tokens
from idp.sso import keys

pytestmark = pytest.mark.django_db


def _kids():
    return {k["kid"] for k in json.loads(keys.jwks_json())["keys"]}


def test_a_new_key_is_published_before_it_signs():
    old = keys.signing_key("ES256").kid
    call_command("rotate_signing_keys", "--lead", "600")
    keys.reload()
    assert len(_kids()) == 4 and old in _kids()  # RS256 and ES256, old and new
    assert keys.signing_key("ES256").kid == old


def test_after_the_switch_old_tokens_still_verify():
    old_token, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    old_kid = keys.signing_key("ES256").kid
    keys.rotate(lead_seconds=0, emergency=True)
    assert keys.signing_key("ES256").kid != old_kid and old_kid in _kids()
    new_token, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    assert tokens.read_access_token(old_token) and tokens.read_access_token(new_token)


def test_jwks_has_only_public_parts():
    for key in json.loads(keys.jwks_json())["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        assert key["use"] == "sig" and key["alg"] in ("RS256", "ES256")


def test_a_lead_shorter_than_the_jwks_cache_is_refused_unless_an_emergency():
    """Issue 25: `--lead` accepted any value — new keys signed 42 s after they reached a JWKS that
    business systems cache for 300 s."""
    from django.core.management.base import CommandError

    before = _kids()
    with pytest.raises(CommandError, match="at least 300"):
        call_command("rotate_signing_keys", "--lead", "42")
    assert _kids() == before  # nothing rotated
    call_command("rotate_signing_keys", "--lead", "0", "--emergency")
    keys.reload()
    assert keys.signing_key("ES256").kid not in before
