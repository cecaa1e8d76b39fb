"""`register_identity_provider` (CONTRACT.md): the upstream's discovery is fetched first."""

import io

import pytest
from django.core.management import CommandError, call_command

from idp.federation.models import IdentityProvider
from tests.federation.test_id_tokens import StandIn
from tests.interop.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()


def register(issuer, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("register_identity_provider", "--protocol", "oidc", "--code", "nation", "--name", "国家政务服务平台",
                 "--issuer", issuer, "--client-id", "idp", "--client-secret", "s3cret", *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_registers_and_prints_the_addresses_to_give_the_upstream(client, stand_in, settings):
    out, _ = register(stand_in.issuer, "--id-number-claim", "id_number", "--uscc-claim", "uscc", "--trusted")
    assert f"redirect_uri: {settings.IDP_ISSUER}/federation/nation/callback" in out
    assert f"backchannel_logout_uri: {settings.IDP_ISSUER}/federation/nation/backchannel-logout" in out
    provider = IdentityProvider.objects.get(code="nation")
    assert provider.trusted and provider.id_number_claim == "id_number" and provider.client_secret == "s3cret"
    assert "s3cret" not in IdentityProvider.objects.filter(code="nation").values_list("client_secret", flat=True)[0]
    for tab in ("natural", "legal"):  # both tabs unless --kinds says otherwise
        assert "使用国家政务服务平台登录" in client.get(f"/login/?tab={tab}").content.decode()
    register(stand_in.issuer, "--untrusted", "--disable")
    provider.refresh_from_db()
    assert not provider.trusted and not provider.enabled
    assert "使用国家政务服务平台登录" not in client.get("/login/").content.decode()


def test_an_issuer_whose_discovery_names_another_is_refused(stand_in):
    with pytest.raises(CommandError, match="names another issuer"):
        register(stand_in.issuer + "/other")
    assert not IdentityProvider.objects.exists()


def test_an_upstream_not_reachable_now_is_registered_with_a_warning():
    _, err = register(f"http://127.0.0.1:{free_port()}")
    assert "cannot be reached now" in err and IdentityProvider.objects.filter(code="nation").exists()
