"""`register_identity_provider` (CONTRACT.md) and 系统管理 → 外部身份提供方: the upstream's
discovery is fetched first."""

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


def test_an_operator_registers_an_upstream_in_the_admin(client, stand_in):
    from idp.audit.models import AuditEntry, Event
    from tests import factories

    operator = factories.natural_account("operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    factories.sign_in(client, operator)
    form = {"code": "nation", "name": "国家政务服务平台", "issuer": stand_in.issuer + "/wrong", "client_id": "idp",
            "client_secret": "s3cret", "scopes": "openid profile", "kinds": "both", "name_claim": "name",
            "id_number_claim": "id_number", "id_type_claim": "", "default_id_type": "resident_id", "uscc_claim": "",
            "verified_claim": "", "phone_claim": "phone_number", "trusted": "on", "order": "0", "enabled": "on"}
    refused = client.post("/admin/federation/identityprovider/add/", form)
    assert refused.status_code == 200 and "issuer" in refused.context["adminform"].form.errors
    assert not IdentityProvider.objects.exists()
    added = client.post("/admin/federation/identityprovider/add/", {**form, "issuer": stand_in.issuer})
    assert added.status_code == 302, added.content[:500]
    assert IdentityProvider.objects.get(code="nation").trusted
    assert AuditEntry.objects.get(event=Event.FEDERATION_REGISTERED).actor == operator
