"""openid-client v6 (npm, OpenID certified) as a business system against the platform under
granian: discovery, code + PKCE through the real login page in Chromium, ID token (every
check on), userinfo, refresh rotation with reuse refused, introspection, revocation and
client_credentials — with both client authentication methods."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import factories
from tests.interop.servers import free_port, platform  # noqa: F401 (fixtures)
from tests.interop.test_mod_auth_openidc import _log_in
from tests.sso import helpers

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
HERE = Path(__file__).resolve().parent / "openid_client"


def node_rp(platform, method):  # noqa: F811
    if shutil.which("node") is None or not (HERE / "node_modules" / "openid-client").exists():
        message = "openid-client is missing (cd tests/interop/openid_client && npm ci; .ci/run does)"
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip("SKIPPED: " + message)
    port = free_port()
    registration = helpers.oidc_client(f"node-rp-{method}", redirect_uris=[f"http://127.0.0.1:{port}/callback"])
    process = subprocess.Popen(["node", "rp.mjs", platform.url, registration.client.client_id, registration.secret,
                                method, str(port)], cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    assert process.stdout.readline().strip() == "ready", process.stdout.read()
    return process, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_openid_client_signs_on_and_uses_every_endpoint(page, platform, method):  # noqa: F811
    factories.verified(factories.natural_account("node_user", name="王五"))
    process, rp = node_rp(platform, method)
    try:
        page.goto(rp + "/login")
        _log_in(page, "node_user")
        page.wait_for_url(rp + "/callback*")
        result = json.loads(page.locator("body").inner_text())
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "failure" not in result, result
    claims = result["claims"]
    assert claims["iss"] == platform.url and claims["name"] == "王五" and claims["account_type"] == "natural"
    assert result["userinfo"]["sub"] == claims["sub"] and result["userinfo"]["name"] == "王五"
    assert result["rotated"] and result["activeAfterRefresh"]
    assert result["reuse"] == "invalid_grant" and result["activeAfterReuse"] is False  # the family ended
    assert result["machineActive"] and result["machineActiveAfterRevocation"] is False
