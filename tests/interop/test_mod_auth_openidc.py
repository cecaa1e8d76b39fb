"""Apache httpd with mod_auth_openidc (Debian's package) as a business system, against the
platform under granian: log in through a protected location, the claims reach the
application (with `act` when acting for an organisation), RP-initiated logout, and
back-channel logout ending the Apache session."""

import base64
import json

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.interop import recipes
from tests.interop.servers import backend, free_port, platform, require_apache  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def apache_rp(platform, backend, tmp_path):  # noqa: F811
    """The recipe of docs/integrators.md, as printed: registration, modules, configuration."""
    require_apache("auth_openidc")
    port = free_port()
    addresses = {"platform": platform.url, "app": f"http://127.0.0.1:{port}"}
    printed = recipes.register("openidc-register", **addresses)
    apache = recipes.start_apache(tmp_path, modules_recipe="openidc-modules", config_recipe="openidc-apache",
                                  port=port, platform=platform.url, backend=backend.url,
                                  **{"CLIENT-SECRET-PRINTED-ABOVE": printed["client_secret"],
                                     "A-LONG-RANDOM-PASSPHRASE": "interop-test-passphrase"})
    yield apache
    apache.stop()


def _log_in(page, login_name):
    page.get_by_label("登录名").fill(login_name)
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="登录", exact=True).click()


def _headers(page) -> dict:
    """The headers the application received (UTF-8 values, which HTTP carries as latin-1 bytes)."""
    received = json.loads(page.locator("body").inner_text())
    return {k.lower(): v.encode("latin-1").decode("utf-8") for k, v in received.items()}


def _claims(page) -> dict:
    """The OIDC_CLAIM_* headers, decoded as the recipe passes them (OIDCPassClaimsAs … base64url)."""
    def decoded(value: str) -> str:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")

    return {k: decoded(v) for k, v in _headers(page).items() if k.startswith("oidc_claim_")}


def test_sign_on_claims_act_and_both_logouts(page, apache_rp, platform, settings):  # noqa: F811
    person = factories.verified(factories.natural_account("apache_user", name="张三"))
    org = factories.verified(factories.legal_account(name="阿帕奇科技有限公司"))
    from idp.catalogue.models import BusinessSystem
    from idp.delegation.services import create_grants
    create_grants(organisation=org, person=person, systems=[BusinessSystem.objects.get(code="example")],
                  expires_on=None, actor=org)

    page.goto(apache_rp.url + "/app/")
    _log_in(page, "apache_user")
    page.get_by_label("代 阿帕奇科技有限公司 办理").check()
    page.get_by_role("button", name="进入业务系统").click()
    claims = _claims(page)
    assert claims["oidc_claim_account_type"] == "legal", (claims, apache_rp.errors())
    assert claims["oidc_claim_org_name"] == "阿帕奇科技有限公司"  # Chinese survives the headers
    assert json.loads(claims["oidc_claim_act"])["name"] == "张三"

    # RP-initiated logout: the module sends the ID token as the hint; this browser's own session
    # logs out at once and comes back to the registered post-logout URI.
    page.goto(apache_rp.url + f"/app/redirect_uri?logout={apache_rp.url}/loggedout")
    assert page.url.startswith(apache_rp.url + "/loggedout"), page.url
    page.goto(apache_rp.url + "/app/")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()  # the platform asks again

    # Back-channel logout: sign on again, log out at the platform; the worker's logout token
    # ends the Apache session.
    _log_in(page, "apache_user")
    page.get_by_role("button", name="进入业务系统").click()
    assert _claims(page)["oidc_claim_account_type"] in ("natural", "legal")
    page.goto(platform.url + "/online/")
    page.get_by_role("button", name="退出登录").click()
    from idp.sso import logout
    settings.IDP_ISSUER = platform.url  # the worker signs as the platform the module trusts
    assert logout.deliver_due() == 2, apache_rp.errors()  # both sessions' (the first one's is gone there already)
    page.goto(apache_rp.url + "/app/")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()
