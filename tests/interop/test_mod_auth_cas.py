"""Apache httpd with mod_auth_cas 1.2 (Debian's package) as a business system: login, the
attributes reach the application (camelCase names survive Apache), `Require cas-attribute`,
and CAS single logout ending the module's session."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.interop import recipes
from tests.interop.servers import backend, free_port, platform, require_apache  # noqa: F401 (fixtures)
from tests.interop.test_mod_auth_openidc import _headers, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def apache_cas(platform, backend, tmp_path):  # noqa: F811
    """The recipe of docs/integrators.md, as printed: registration, modules, configuration."""
    require_apache("auth_cas")
    port = free_port()
    # The module writes its cookie files as the server's unprivileged user, which cannot enter
    # pytest's private temporary folder.
    cookies = Path(tempfile.mkdtemp(prefix="idp-cas-cookies-"))
    os.chmod(cookies, 0o777)
    recipes.register("cas-register", platform=platform.url, app=f"http://127.0.0.1:{port}")
    apache = recipes.start_apache(tmp_path, modules_recipe="cas-modules", config_recipe="cas-apache", port=port,
                                  platform=platform.url, backend=backend.url,
                                  **{"/var/cache/apache2/mod_auth_cas/": f"{cookies}/"})
    yield apache
    apache.stop()
    shutil.rmtree(cookies, ignore_errors=True)


def test_login_attributes_require_and_single_logout(page, apache_cas, platform, settings):  # noqa: F811
    person = factories.verified(factories.natural_account("cas_user", name="李四"))
    org = factories.verified(factories.legal_account(name="中科代办有限公司"))
    from idp.catalogue.models import BusinessSystem
    from idp.delegation.services import create_grants
    create_grants(organisation=org, person=person, systems=[BusinessSystem.objects.get(code="example-cas")],
                  expires_on=None, actor=org)

    page.goto(apache_cas.url + "/app/")
    _log_in(page, "cas_user")
    page.get_by_role("button", name="进入业务系统").click()  # as themselves (the first choice)
    headers = _headers(page)
    assert headers["cas-accounttype"] == "natural", (headers, apache_cas.errors())
    assert headers["cas-name"] == "李四" and headers["cas-user"]
    # camelCase names for applications that read headers from the CGI/WSGI environment, where
    # Apache drops names with `_`; a proxied application (as here) sees both.
    assert headers["cas-realnamestatus"] == headers["cas-realname_status"] == "registry_passed"
    # CASScrubRequestHeaders: a person signed in as themselves cannot pass the application an
    # organisation (or an actor) of their own making.
    forged = page.request.get(apache_cas.url + "/app/", headers={"CAS-orgName": "forged-org",
                                                                  "CAS-actSub": "forged"}).json()
    assert not {"cas-orgname", "cas-actsub"} & {name.lower() for name in forged}, forged

    refused = page.goto(apache_cas.url + "/legal/")  # Require cas-attribute accountType:legal
    assert refused.status in (401, 403)  # refused by the attribute rule, not proxied

    # Single logout: log out at the platform; the worker's SAML LogoutRequest ends the module's session.
    page.goto(platform.url + "/online/")
    page.get_by_role("button", name="退出登录").click()
    from idp.sso import logout
    settings.IDP_ISSUER = platform.url
    assert logout.deliver_due() >= 1, apache_cas.errors()
    page.goto(apache_cas.url + "/legal/")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()  # the module's session ended

    # Acting for the organisation satisfies `Require cas-attribute accountType:legal`.
    _log_in(page, "cas_user")
    page.get_by_label("代 中科代办有限公司 办理").check()
    page.get_by_role("button", name="进入业务系统").click()
    headers = _headers(page)
    assert headers["cas-accounttype"] == "legal" and headers["cas-orgname"] == "中科代办有限公司"
    assert headers["cas-actname"] == "李四"
